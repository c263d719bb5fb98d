import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from './scoped-token.service';

export class TokenAgentDto {
  @ApiProperty({ example: 'u_42', description: "Your app's id of the person" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  id: string;

  @ApiProperty({ example: 'Dana' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class CreateTokenDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TOKEN_TTL_SECONDS, default: DEFAULT_TOKEN_TTL_SECONDS })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_TTL_SECONDS)
  ttlSeconds?: number;

  @ApiPropertyOptional({ type: TokenAgentDto, description: 'Recorded as `agent` on the messages sent with the token' })
  @IsOptional()
  @ValidateNested()
  @Type(() => TokenAgentDto)
  agent?: TokenAgentDto;
}

export class TokenView {
  @ApiProperty({ description: 'Bearer token for the inbox routes and socket.io `auth.token`' }) token: string;
  @ApiProperty() expiresAt: string;
}
