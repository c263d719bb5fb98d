import { ApiProperty } from '@nestjs/swagger';
import { MessageAgentView } from '../messaging/views/message.view';
import { ConnectionStatusDto } from '../mods/meta/api/meta-connection.dto';

/** What the inbox page needs to know about who it is signed in as. */
export class InboxSessionView {
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty({ nullable: true, type: MessageAgentView }) agent: MessageAgentView | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the token stops working; null for an API key' })
  expiresAt: string | null;
  @ApiProperty({ type: ConnectionStatusDto, description: 'The Meta connection (for the expired-connection banner)' })
  connection: ConnectionStatusDto;
}
