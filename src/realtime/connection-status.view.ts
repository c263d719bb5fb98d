import { ApiProperty } from '@nestjs/swagger';
import type { ConnectionStatusView } from './realtime.events';

/** `ConnectionStatusView` for /docs (the route, the socket event and the log event share it). */
export class ConnectionStatusDocView implements ConnectionStatusView {
  @ApiProperty() connected: boolean;
  @ApiProperty({ enum: ['active', 'expired'], nullable: true, type: String }) status: 'active' | 'expired' | null;
  @ApiProperty({ nullable: true, type: String }) pageId: string | null;
  @ApiProperty({ nullable: true, type: String }) pageName: string | null;
  @ApiProperty({ nullable: true, type: String }) instagramAccountId: string | null;
  @ApiProperty({ nullable: true, type: String }) instagramUsername: string | null;
}

/** The second argument of every socket event. */
export class RealtimeEventSourceDocView {
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The log event this socket event comes from (null: none yet)' }) id: string | null;
  @ApiProperty({ description: 'Its sequence, or the latest one for a socket event with no log event of its own (0 before the first)' }) sequence: number;
  @ApiProperty({ nullable: true, type: String, description: 'Its log event type' }) type: string | null;
}
