import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MessageChannel } from '../../messaging/message-channel';
import { PageQueryDto } from '../../messaging/api/page-query.dto';

export class ListCommentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MessageChannel, description: 'Only comments on this channel (facebook_messenger: Page posts, instagram_dm: Instagram media)' })
  @IsOptional()
  @IsEnum(MessageChannel)
  channel?: MessageChannel;
}

/** The text of a private or public reply. */
export class CommentReplyDto {
  @ApiProperty({ example: 'Thanks! We sent you the details in a message.', maxLength: 2000 })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  text: string;
}
