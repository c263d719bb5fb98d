import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsEnum, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { MessageTag, MessagingType } from '../channels/channel-sender';
import { MessageChannel } from '../message-channel';
import { MessageView } from '../views/message.view';

/** Meta's limit for a Messenger text. */
export const MAX_TEXT_LENGTH = 2000;
export const MAX_ATTACHMENTS_PER_SEND = 10;

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

  @ApiPropertyOptional({ maxLength: MAX_TEXT_LENGTH, description: 'Optional when attachmentIds are given' })
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
