import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MessageStatsView } from '../api/message-stats.view';
import { MessageStatsRowView } from '../api/message-stats-row.view';
import { statsRange } from './stats-range';

/** Dashboard counts: messages per UTC day × channel × direction, in one GROUP BY. */
@Injectable()
export class StatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async messages(organizationId: string, from: string, to: string): Promise<MessageStatsView> {
    const { start, end } = statsRange(from, to);
    // The range on sent_at uses ix_messages_org_time; the day is taken in UTC whatever the session's time zone.
    const rows: MessageStatsRowView[] = await this.dataSource.query(
      `SELECT to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, channel, direction, count(*)::int AS count
         FROM messages
        WHERE organization_id = $1 AND sent_at >= $2 AND sent_at < $3
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      [organizationId, start, end],
    );
    return { data: rows };
  }
}
