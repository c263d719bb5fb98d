import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Acme Coffee' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class CreatedOrganizationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Shown once; only its hash is kept' }) apiKey: string;
}
