import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The query Meta's Login dialog redirects back with (success or refusal). */
export class OAuthCallbackQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2048) code?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) state?: string;
  @ApiPropertyOptional({ example: 'access_denied' }) @IsOptional() @IsString() @MaxLength(256) error?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) error_code?: string;
  @ApiPropertyOptional({ example: 'user_denied' }) @IsOptional() @IsString() @MaxLength(256) error_reason?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1024) error_description?: string;
}

/** A start link: the state it was issued with. */
export class OAuthStartQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) state?: string;
}
