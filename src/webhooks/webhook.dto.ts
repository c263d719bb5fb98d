import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import { DOMAIN_EVENT_TYPES } from '../events/domain-event.types';

export const EVENT_FILTERS = ['*', ...DOMAIN_EVENT_TYPES];
const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_valid_protocol: true };

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://example.com/hooks/meta-inbox' })
  @IsUrl(URL_OPTIONS, { message: 'url must be an http(s) URL' })
  @MaxLength(2048)
  url: string;

  @ApiProperty({ example: ['message.received'], description: 'Event types, or ["*"] for all', enum: EVENT_FILTERS, isArray: true })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(EVENT_FILTERS.length)
  @IsIn(EVENT_FILTERS, { each: true, message: `events must be event types (${DOMAIN_EVENT_TYPES.join(', ')}) or "*"` })
  events: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'url must be an http(s) URL' })
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: EVENT_FILTERS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(EVENT_FILTERS.length)
  @IsIn(EVENT_FILTERS, { each: true, message: `events must be event types (${DOMAIN_EVENT_TYPES.join(', ')}) or "*"` })
  events?: string[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ description: 'false pauses deliveries; true re-enables an endpoint disabled after 5 days of failures' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
