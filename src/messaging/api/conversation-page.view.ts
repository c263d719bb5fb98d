import { ApiProperty } from '@nestjs/swagger';
import { ConversationView } from '../views/conversation.view';

export class ConversationPageView {
  @ApiProperty({ type: [ConversationView] }) data: ConversationView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
