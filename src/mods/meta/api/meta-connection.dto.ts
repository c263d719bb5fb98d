import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class OAuthUrlDto {
  @ApiProperty({ description: 'Facebook Login dialog URL with client_id, redirect_uri, scope and a single-use state (valid 10 minutes)' })
  url: string;
}

export class PendingPageDto {
  @ApiProperty({ example: '104000000000001' }) id: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: String }) instagramAccountId: string | null;
  @ApiProperty({ nullable: true, type: String }) instagramUsername: string | null;
}

export class ChoosePageDto {
  @ApiProperty({ description: 'One of the Pages `GET /api/meta/connection/pages` lists', example: '104000000000001' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  pageId: string;
}

export class ConnectionStatusDto {
  @ApiProperty() connected: boolean;
  @ApiProperty({ enum: ['active', 'expired'], nullable: true, type: String }) status: 'active' | 'expired' | null;
  @ApiProperty({ nullable: true, type: String }) pageId: string | null;
  @ApiProperty({ nullable: true, type: String }) pageName: string | null;
  @ApiProperty({ nullable: true, type: String }) instagramAccountId: string | null;
  @ApiProperty({ nullable: true, type: String }) instagramUsername: string | null;
}
