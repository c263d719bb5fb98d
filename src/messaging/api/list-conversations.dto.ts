import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { MessageChannel } from '../message-channel';
import { PageQueryDto } from './page-query.dto';

export class ListConversationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MessageChannel, description: 'Only conversations on this channel' })
  @IsOptional()
  @IsEnum(MessageChannel)
  channel?: MessageChannel;
}
