import { ApiProperty } from '@nestjs/swagger';

export class IssuedApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Shown once; only its hash is kept' }) apiKey: string;
  @ApiProperty() createdAt: Date;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'Last request or socket opened with the key (to the minute); null if never used' })
  lastUsedAt: Date | null;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) data: ApiKeyDto[];
}
