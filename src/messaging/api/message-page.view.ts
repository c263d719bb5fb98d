import { ApiProperty } from '@nestjs/swagger';
import { MessageView } from '../views/message.view';

export class MessagePageView {
  @ApiProperty({ type: [MessageView] }) data: MessageView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
