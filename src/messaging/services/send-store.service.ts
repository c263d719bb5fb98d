import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Contact } from '../../contacts/contact.entity';
import { hydrate } from '../../database/hydrate';
import type { OutboxEntry } from '../../events/domain-event.types';
import { DomainEvents } from '../../events/domain-events.service';
import { GroupCommit } from '../../jobs/group-commit';
import { JobQueue } from '../../jobs/job-queue.service';
import type { MessageChannel } from '../message-channel';
import { ChannelAddress, MessageButton, MessageTag, MessagingType, QuickReply } from '../channels/channel-sender';
import { Conversation } from '../entities/conversation.entity';
import { Message, MessageAgent } from '../entities/message.entity';
import { SEND_MESSAGES_JOB, SEND_QUEUE_PREFIX } from '../jobs/send-messages.job';
import { ConversationView } from '../views/conversation.view';
import { MessageView } from '../views/message.view';
import { MessageViews } from '../views/message-views.service';

/** One record of a send as stored: one channel call (a text with its extras, or a file added after). */
export interface RecordToStore {
  text: string | null;
  quick_replies: QuickReply[] | null;
  buttons: MessageButton[] | null;
  /** A millisecond apart, so the feed's (sentAt, id) order is the sending order. */
  sent_at: string;
}

/** An accepted send: who it goes to, where the channel reaches them, and its records in sending order. */
export interface SendToStore {
  organizationId: string;
  contactId: string;
  channel: MessageChannel;
  address: ChannelAddress;
  records: RecordToStore[];
  messagingType: MessagingType;
  tag: MessageTag | null;
  agent: MessageAgent | null;
}

export interface StoredSend {
  /** With its contact. */
  conversation: Conversation;
  /** In sending order. */
  messages: Message[];
}

/** An accepted send as its answer and its socket events show it: the records' ids and views, and the conversation's view. */
export interface AcceptedSend {
  messageIds: string[];
  views: MessageView[];
  conversation: ConversationView;
}

/** A text-only send stored with others, and what the store answered for it once committed. */
interface TogetherSend {
  send: SendToStore;
  stored?: AcceptedSend;
}

/**
 * Sends in one statement: for each, the one conversation of (organization, contact, channel),
 * made on first use, with its activity moved to its last record's time; its pending records in
 * sending order; and the job that sends them, in the conversation's send queue, jobs in the
 * sends' order (`add_quiet_jobs`: the send workers are woken after the commit, and no other pool
 * needs to hear). The sends of one statement are of distinct conversations (an upsert may touch
 * a row once). Answers each send's conversation, contact and records, in input order.
 */
const STORE_SENDS = `
  WITH input AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset($1::jsonb)
      AS i(n int, organization_id uuid, contact_id uuid, channel message_channel, last_message_at timestamptz, records jsonb,
           messaging_type text, tag text, agent jsonb, address jsonb)
  ), conversation AS (
    INSERT INTO conversations (organization_id, contact_id, channel, last_message_at)
    SELECT organization_id, contact_id, channel, last_message_at FROM input ORDER BY n
    ON CONFLICT ON CONSTRAINT uq_conversations_org_contact_channel
    DO UPDATE SET last_message_at = greatest(conversations.last_message_at, EXCLUDED.last_message_at), updated_at = now()
    RETURNING *
  ), sends AS MATERIALIZED (
    SELECT i.n, i.records, i.messaging_type, i.tag, i.agent, i.address, c.id AS conversation_id, c.organization_id, c.channel, c.contact_id
    FROM input i JOIN conversation c ON c.organization_id = i.organization_id AND c.contact_id = i.contact_id AND c.channel = i.channel
  ), inserted AS (
    INSERT INTO messages (organization_id, conversation_id, channel, direction, sender, status, text, quick_replies, buttons, sent_at, messaging_type, tag, agent)
    SELECT s.organization_id, s.conversation_id, s.channel, 'outbound', 'agent', 'pending', e.value->>'text', nullif(e.value->'quick_replies', 'null'),
           nullif(e.value->'buttons', 'null'), (e.value->>'sent_at')::timestamptz, s.messaging_type, s.tag, s.agent
    FROM sends s, jsonb_array_elements(s.records) WITH ORDINALITY AS e(value, k)
    ORDER BY s.n, e.k
    RETURNING *
  ), stored AS (
    SELECT s.n, s.conversation_id, s.address, json_agg(row_to_json(m) ORDER BY m.sent_at) AS messages, json_agg(m.id ORDER BY m.sent_at) AS message_ids
    FROM sends s JOIN inserted m ON m.conversation_id = s.conversation_id
    GROUP BY s.n, s.conversation_id, s.address
  ), jobs AS (
    -- Each job's payload is a SendMessagesPayload.
    SELECT add_quiet_jobs(json_agg(json_build_object('identifier', $2::text, 'payload', json_build_object('messageIds', st.message_ids, 'address', st.address),
             'queue_name', $3::text || st.conversation_id, 'max_attempts', $4::int) ORDER BY st.n)) AS added
    FROM stored st
  )
  SELECT st.n, row_to_json(c) AS conversation, row_to_json(ct) AS contact, st.messages,
         -- Referenced here, or Postgres would never run jobs: a SELECT in WITH runs only when used.
         (SELECT added FROM jobs) AS jobs
  FROM stored st JOIN conversation c ON c.id = st.conversation_id JOIN contacts ct ON ct.id = c.contact_id
  ORDER BY st.n`;

const conversationKey = ({ organizationId, contactId, channel }: SendToStore) => `${organizationId}:${contactId}:${channel}`;

/**
 * The sends of one statement after another, in order, each statement's of distinct conversations:
 * a conversation's sends stay in order, its later send in a later statement.
 */
export function layersOf(sends: SendToStore[]): SendToStore[][] {
  const layers: { sends: SendToStore[]; keys: Set<string> }[] = [];
  for (const send of sends) {
    const key = conversationKey(send);
    // After the last layer that has this conversation already.
    let at = layers.length;
    while (at > 0 && !layers[at - 1].keys.has(key)) at--;
    if (at === layers.length) layers.push({ sends: [], keys: new Set() });
    layers[at].sends.push(send);
    layers[at].keys.add(key);
  }
  return layers.map((layer) => layer.sends);
}

/** Errors a statement of several sends may have met because of one send (its contact went meanwhile). */
const mayBeOneSends = (error: unknown) => /^2[23]/.test((error as { code?: string })?.code ?? '');

/**
 * Stores accepted sends: their records, their conversations' activity and the jobs that send them.
 * Text sends without an idempotency key that arrive while a store is in flight are stored
 * together (`storeTogether`): one transaction, a statement per layer and one outbox statement
 * for all of them, so concurrent sends share round trips and a commit.
 */
@Injectable()
export class SendStoreService {
  private readonly together = new GroupCommit<TogetherSend>({
    write: (groups) => this.storeAndAnnounce(groups.flat()),
    maxItems: 100,
    mayBeOneCallers: mayBeOneSends,
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messageViews: MessageViews,
    private readonly events: DomainEvents,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  /** In the caller's transaction: the sends, in order, and their jobs (woken once it commits). */
  async store(manager: EntityManager, sends: SendToStore[]): Promise<StoredSend[]> {
    const byInput = new Map<SendToStore, StoredSend>();
    for (const layer of layersOf(sends)) {
      const stored = await this.storeLayer(manager, layer);
      layer.forEach((send, index) => byInput.set(send, stored[index]));
    }
    this.jobs.wakeAfterCommit(manager, SEND_MESSAGES_JOB, sends.length);
    return sends.map((send) => byInput.get(send)!);
  }

  /**
   * A text send with no files and no idempotency key, stored in a transaction it may share with
   * other such sends, with its pending records announced to open inboxes (integrators hear of them
   * once sent). Answers the records' ids and views, and the conversation's view.
   */
  async storeTogether(send: SendToStore): Promise<AcceptedSend> {
    const item: TogetherSend = { send };
    await this.together.add([item]);
    return item.stored!;
  }

  private async storeAndAnnounce(items: TogetherSend[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const stored = await this.store(manager, items.map((item) => item.send));
      items.forEach((item, index) => {
        const { conversation, messages } = stored[index];
        item.stored = { messageIds: messages.map((m) => m.id), views: messages.map((m) => this.messageViews.message(m, [])), conversation: this.messageViews.conversation(conversation) };
      });
      await this.events.recordForEach(
        manager,
        items.map(({ send, stored }) => ({ organizationId: send.organizationId, entries: [SendStoreService.pendingEntry(stored!.views, stored!.conversation)] })),
      );
    });
  }

  /** Pending records are news to open inboxes only: integrators hear of them once sent. */
  static pendingEntry(views: MessageView[], conversation: ConversationView): OutboxEntry {
    return {
      type: null,
      realtime: [...views.map((view) => ({ event: 'message.created' as const, payload: view })), { event: 'conversation.updated' as const, payload: conversation }],
    };
  }

  private async storeLayer(manager: EntityManager, sends: SendToStore[]): Promise<StoredSend[]> {
    const input = sends.map((send, n) => ({
      n,
      organization_id: send.organizationId,
      contact_id: send.contactId,
      channel: send.channel,
      last_message_at: send.records[send.records.length - 1].sent_at,
      records: send.records,
      messaging_type: send.messagingType,
      tag: send.tag,
      agent: send.agent,
      address: send.address,
    }));
    const rows: { conversation: Record<string, unknown>; contact: Record<string, unknown>; messages: Record<string, unknown>[] }[] = await manager.query(STORE_SENDS, [
      JSON.stringify(input),
      SEND_MESSAGES_JOB,
      SEND_QUEUE_PREFIX,
      this.config.sendMaxAttempts,
    ]);
    if (rows.length !== sends.length) throw new Error(`stored ${rows.length} of ${sends.length} sends`);
    return rows.map((row) => {
      const conversation = hydrate(this.dataSource, Conversation, row.conversation);
      conversation.contact = hydrate(this.dataSource, Contact, row.contact);
      return { conversation, messages: row.messages.map((message) => hydrate(this.dataSource, Message, message)) };
    });
  }
}
