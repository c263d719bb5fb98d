import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { DeliveryItem, InboundScope, ReadItem } from './inbound-item';
import { ContactIdentitiesService } from './contact-identities.service';
import { InboundEffects, returnedIds, returnedRows } from './inbound-effects';

/** Outbound statuses a receipt may move on; pending and failed messages are never touched. */
const RECEIPT_STATUSES = `('published', 'delivered', 'read')`;

/**
 * Delivery and read receipts on outbound messages, monotonic: a receipt only fills a missing
 * time and only moves a status forward (published → delivered → read), so late or repeated
 * receipts change nothing.
 */
@Injectable()
export class InboundReceiptsService {
  constructor(private readonly identities: ContactIdentitiesService) {}

  async apply(scope: InboundScope, event: DeliveryItem | ReadItem, manager: EntityManager, effects: InboundEffects): Promise<void> {
    const conversationId = await this.identities.conversationOf(scope, event.userId, manager);
    if (!conversationId) return;
    if (event.type === 'read') {
      effects.updated(await this.read(scope, conversationId, event, manager), 'message.read');
      return;
    }
    // A receipt that only fills in the time of a message already read is no news to integrators.
    for (const { id, status } of await this.delivered(conversationId, event, manager)) {
      effects.updated([id], status === 'delivered' ? 'message.delivered' : null);
    }
  }

  /** Every outbound message sent at or before the watermark, and those named in `mids`. */
  private async delivered(conversationId: string, event: DeliveryItem, manager: EntityManager): Promise<{ id: string; status: string }[]> {
    if (event.watermark === null && event.mids.length === 0) return [];
    const result: unknown = await manager.query(
      `UPDATE messages SET
         delivered_at = $2,
         status = CASE WHEN status = 'published' THEN 'delivered'::message_status ELSE status END,
         updated_at = now()
       WHERE conversation_id = $1 AND direction = 'outbound' AND status IN ${RECEIPT_STATUSES} AND delivered_at IS NULL
         AND (sent_at <= $3 OR external_id = ANY($4::text[]))
       RETURNING id, status`,
      [conversationId, new Date(event.timestamp), event.watermark === null ? null : new Date(event.watermark), event.mids],
    );
    return returnedRows(result);
  }

  /** Up to the watermark (Messenger), or the named message and every earlier one (Instagram). */
  private async read(scope: InboundScope, conversationId: string, event: ReadItem, manager: EntityManager): Promise<string[]> {
    let upTo: Date | null = event.watermark === null ? null : new Date(event.watermark);
    if (event.mid) {
      const [named] = await manager.query(`SELECT sent_at FROM messages WHERE channel = $1 AND external_id = $2 AND conversation_id = $3`, [
        scope.channel,
        event.mid,
        conversationId,
      ]);
      if (named && (upTo === null || named.sent_at > upTo)) upTo = named.sent_at;
    }
    if (upTo === null) return [];
    const result: unknown = await manager.query(
      `UPDATE messages SET
         read_at = $2,
         delivered_at = COALESCE(delivered_at, $2),
         status = 'read',
         updated_at = now()
       WHERE conversation_id = $1 AND direction = 'outbound' AND status IN ${RECEIPT_STATUSES} AND read_at IS NULL AND sent_at <= $3
       RETURNING id`,
      [conversationId, new Date(event.timestamp), upTo],
    );
    return returnedIds(result);
  }
}
