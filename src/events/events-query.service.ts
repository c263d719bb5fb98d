import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DomainEventEnvelope } from './domain-event.types';

export interface EventPage {
  data: DomainEventEnvelope[];
  nextCursor: string | null;
}

/** The catch-up read of the log: an organization's numbered events after a sequence, oldest first. */
@Injectable()
export class EventsQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async after(organizationId: string, after: number, limit: number): Promise<EventPage> {
    const rows: { id: string; sequence: string; type: DomainEventEnvelope['type']; created_at: Date; data: DomainEventEnvelope['data'] }[] =
      await this.dataSource.query(
        `SELECT id, sequence, type, created_at, data FROM domain_events
         WHERE organization_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3`,
        [organizationId, after, limit + 1],
      );
    const page = rows.slice(0, limit).map((row) => ({
      id: row.id,
      sequence: Number(row.sequence),
      type: row.type,
      createdAt: new Date(row.created_at).toISOString(),
      organizationId,
      data: row.data,
    }));
    return { data: page, nextCursor: rows.length > limit ? String(page[page.length - 1].sequence) : null };
  }
}
