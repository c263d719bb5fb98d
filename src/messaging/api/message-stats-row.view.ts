import { ApiProperty } from '@nestjs/swagger';
import { MessageDirection } from '../entities/message.entity';
import { MessageChannel } from '../message-channel';

export class MessageStatsRowView {
  @ApiProperty({ example: '2025-01-31', description: 'UTC day of sentAt' }) day: string;
  @ApiProperty({ enum: MessageChannel }) channel: MessageChannel;
  @ApiProperty({ enum: MessageDirection }) direction: MessageDirection;
  @ApiProperty() count: number;
}
