import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MessageChannel } from '../message-channel';

@Injectable()
export class ConversationsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The id of the one conversation of (organization, contact, channel), made on first use. A
   * single upsert on the unique key, so parallel callers always get the same row; callers that
   * need more than the id read it themselves (most do not, so no second round trip here).
   */
  async findOrCreateId(
    organizationId: string,
    contactId: string,
    channel: MessageChannel,
    at: Date = new Date(),
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO conversations (organization_id, contact_id, channel, last_message_at)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT uq_conversations_org_contact_channel
       DO UPDATE SET organization_id = EXCLUDED.organization_id
       RETURNING id`,
      [organizationId, contactId, channel, at],
    );
    return rows[0].id;
  }
}
