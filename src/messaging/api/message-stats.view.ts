import { ApiProperty } from '@nestjs/swagger';
import { MessageStatsRowView } from './message-stats-row.view';

export class MessageStatsView {
  @ApiProperty({ type: [MessageStatsRowView], description: 'Only the day × channel × direction groups that have messages' })
  data: MessageStatsRowView[];
}
