import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Keys are the `core_conf` column names, as the seed gives them. */
export class UpdateSystemConfigDto {
  @ApiPropertyOptional({ example: '1234567890', description: 'Facebook App ID' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,32}$/, { message: 'meta_messaging_app_id must be the numeric Facebook App ID' })
  meta_messaging_app_id?: string;

  @ApiPropertyOptional({ description: 'Facebook App Secret: token exchange and webhook signatures' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  meta_messaging_app_secret?: string;

  @ApiPropertyOptional({ description: 'Any string; Meta echoes it in webhook verification' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  meta_messaging_verify_token?: string;
}

export class SystemConfigDto {
  @ApiProperty({ nullable: true, type: String }) meta_messaging_app_id: string | null;
  @ApiProperty({ nullable: true, type: String, example: '********', description: 'Masked; never returned' })
  meta_messaging_app_secret: string | null;
  @ApiProperty({ nullable: true, type: String }) meta_messaging_verify_token: string | null;
}
