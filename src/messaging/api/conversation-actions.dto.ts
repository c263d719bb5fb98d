import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MessageChannel } from '../message-channel';

export class OpenConversationDto {
  @ApiProperty({ enum: MessageChannel })
  @IsEnum(MessageChannel)
  channel: MessageChannel;

  @ApiProperty({ description: "The person's PSID (Messenger) or IGSID (Instagram) on the connected Page / account" })
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'participantExternalId must be a PSID or IGSID' })
  participantExternalId: string;

  @ApiPropertyOptional({ description: "Shown as the contact's name while it has none" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  participantName?: string;
}
