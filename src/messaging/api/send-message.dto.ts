import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEnum,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MessageTag, MessagingType } from '../channels/channel-sender';
import { MessageChannel } from '../message-channel';
import { MessageView } from '../views/message.view';

/** Meta's limit for a Messenger text. */
export const MAX_TEXT_LENGTH = 2000;
export const MAX_ATTACHMENTS_PER_SEND = 10;

/** Shape only: the limits (how many, how long) are the channel's, and refused with 422 by it. */
export class QuickReplyDto {
  @ApiProperty({ maxLength: 20, example: 'Track my order' })
  @IsString()
  title: string;

  @ApiProperty({ maxLength: 1000, example: 'TRACK_ORDER', description: "Comes back in the customer's message as metadata.quickReplyPayload" })
  @IsString()
  payload: string;
}

export class MessageButtonDto {
  @ApiProperty({ enum: ['postback', 'web_url'] })
  @IsIn(['postback', 'web_url'])
  type: 'postback' | 'web_url';

  @ApiProperty({ maxLength: 20 })
  @IsString()
  title: string;

  @ApiPropertyOptional({ maxLength: 1000, description: 'postback only: what a tap sends back (a postback event)' })
  @ValidateIf((button: MessageButtonDto) => button.type === 'postback' || button.payload !== undefined)
  @IsString()
  payload?: string;

  @ApiPropertyOptional({ description: 'web_url only: the http(s) page the button opens' })
  @ValidateIf((button: MessageButtonDto) => button.type === 'web_url' || button.url !== undefined)
  @IsString()
  url?: string;
}

export class SendMessageDto {
  @ApiProperty({ enum: MessageChannel })
  @IsEnum(MessageChannel)
  channel: MessageChannel;

  @ApiPropertyOptional({ format: 'uuid', description: 'The contact to write to (or give conversationId)' })
  @IsOptional()
  @IsUUID()
  contactId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The conversation to write into (or give contactId)' })
  @IsOptional()
  @IsUUID()
  conversationId?: string;

  @ApiPropertyOptional({ maxLength: MAX_TEXT_LENGTH, description: 'Optional when attachmentIds or attachmentUrls are given' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT_LENGTH)
  text?: string;

  @ApiPropertyOptional({ type: [String], description: 'Files uploaded through POST /api/attachments; each is sent as a message of its own' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS_PER_SEND)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  attachmentIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'http(s) files to send: each is fetched into our storage first (size cap, private addresses refused) and sent as a message of its own, after attachmentIds',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS_PER_SEND)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { each: true, message: 'each value in attachmentUrls must be an http(s) URL' })
  attachmentUrls?: string[];

  @ApiPropertyOptional({ type: [QuickReplyDto], description: 'With a text: 1 to 13, title at most 20 characters, payload at most 1000' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => QuickReplyDto)
  quickReplies?: QuickReplyDto[];

  @ApiPropertyOptional({ type: [MessageButtonDto], description: 'With a text of at most 640 characters: 1 to 3 buttons, sent as a button template' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MessageButtonDto)
  buttons?: MessageButtonDto[];

  @ApiPropertyOptional({ enum: MessagingType, default: MessagingType.Response })
  @IsOptional()
  @IsEnum(MessagingType)
  messagingType?: MessagingType;

  @ApiPropertyOptional({ enum: MessageTag, description: 'Required with MESSAGE_TAG, refused otherwise' })
  @IsOptional()
  @IsEnum(MessageTag)
  tag?: MessageTag;
}

export class SendQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Answer once every record is settled (at most ~10 s)' })
  @IsOptional()
  @IsIn(['true', 'false', '1', '0'])
  wait?: string;
}

export class SendAnswerView {
  @ApiProperty({ type: [MessageView], description: 'One record per Graph API call: the text first, then each attachment' })
  messages: MessageView[];
}
