import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class OAuthUrlDto {
  @ApiProperty({
    description:
      'Facebook Login dialog URL with client_id, redirect_uri, scope and a single-use state (valid 10 minutes); the answer sets the HttpOnly cookie the callback needs, so open it in the browser that called. With `start=true`: a PUBLIC_URL/api/meta/oauth/start link that sets that cookie in whichever browser opens it first',
  })
  url: string;
}

export class OAuthUrlQueryDto {
  @ApiPropertyOptional({
    description: 'true when a server calls this route for a browser: answer a start link (opened once, sets the cookie, redirects to Facebook Login)',
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  start?: boolean;
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
