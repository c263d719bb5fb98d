import { ApiProperty } from '@nestjs/swagger';
import { MessageChannel } from '../message-channel';

export class ConversationContactView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String }) displayName: string | null;
  @ApiProperty({ nullable: true, type: String }) avatarUrl: string | null;
}

export class ConversationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: MessageChannel }) channel: MessageChannel;
  @ApiProperty({ format: 'uuid' }) contactId: string;
  @ApiProperty({ type: ConversationContactView }) contact: ConversationContactView;
  @ApiProperty({ nullable: true, type: String, description: 'Start of the 24-hour window' }) lastInboundAt: string | null;
  @ApiProperty() lastMessageAt: string;
  @ApiProperty() unreadCount: number;
  @ApiProperty() createdAt: string;
}
