import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { DomainError, DomainErrorCode, ErrorMessages, notFound } from '../../common/domain-error';
import { DomainEvents } from '../../events/domain-events.service';
import { ChannelRegistry } from '../channels/channel-registry';
import { MessagingType } from '../channels/channel-sender';
import { MAX_ATTACHMENTS_PER_SEND, SendMessageDto } from '../api/send-message.dto';
import { MessageButton } from '../channels/channel-sender';
import { Attachment, AttachmentStatus } from '../entities/attachment.entity';
import { MessageAgent } from '../entities/message.entity';
import { MessageView } from '../views/message.view';
import { MessageViews } from '../views/message-views.service';
import { IdempotencyService, requestHash, StoredAnswer } from './idempotency.service';
import { assertInsideMessagingWindow } from './messaging-window';
import { SendRecordsService, SETTLED_STATUSES } from './send-records.service';
import { SendRecipients } from './send-recipients.service';
import { AcceptedSend, RecordToStore, SendStoreService, SendToStore } from './send-store.service';

/** How long `?wait=true` holds the answer, and how often it looks. */
export const WAIT_LIMIT_MS = 10_000;
const WAIT_POLL_MS = 100;

export interface SendOptions {
  wait: boolean;
  idempotencyKey?: string;
  /** The person sending from the inbox (an agent token), recorded on each record. */
  agent?: MessageAgent | null;
}

export interface SendAnswer extends StoredAnswer {
  body: { messages: MessageView[] } | { statusCode: number; error: string; message: string };
}

type OutgoingPart = { text: string } | { upload: Attachment } | { url: string };

/** Only the fields of its type, as sent. */
function buttonOf(button: { type: 'postback' | 'web_url'; title: string; payload?: string; url?: string }): MessageButton {
  return button.type === 'postback' ? { type: 'postback', title: button.title, payload: button.payload! } : { type: 'web_url', title: button.title, url: button.url! };
}

const invalid = (message: string) => new DomainError(DomainErrorCode.ValidationFailed, message);

/**
 * `POST /api/messaging/send`: refuses what cannot be sent (the contract's refusals, the 24-hour
 * window), then stores one pending record per channel call and the job that sends them in one
 * transaction, so an accepted message is never lost and never queued without its records.
 */
@Injectable()
export class SendMessagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly idempotency: IdempotencyService,
    private readonly records: SendRecordsService,
    private readonly messageViews: MessageViews,
    private readonly store: SendStoreService,
    private readonly recipients: SendRecipients,
    private readonly events: DomainEvents,
  ) {}

  async send(organizationId: string, request: SendMessageDto, options: SendOptions): Promise<SendAnswer> {
    const messagingType = request.messagingType ?? MessagingType.Response;
    const tag = request.tag ?? null;
    this.validate(request, messagingType);
    const key = this.idempotencyKey(options.idempotencyKey);
    const hash = requestHash({ ...request, messagingType, tag });
    if (key) {
      // A retry of an accepted request gets its answer even if it would be refused now.
      const earlier = await this.idempotency.peek(organizationId, key, hash);
      if (earlier) return earlier as SendAnswer;
    }

    const sender = this.registry.get(request.channel);
    sender.checkContent(request.channel, { text: request.text, quickReplies: request.quickReplies, buttons: request.buttons?.map(buttonOf) });
    const { contactId, conversation, identities } = await this.recipients.find(organizationId, request);
    await this.requireAttachments(organizationId, request.attachmentIds ?? []);
    const target = { organizationId, contactId, channel: request.channel };
    const address = await sender.checkReady(target, identities);
    assertInsideMessagingWindow({ messagingType, tag, lastInboundAt: conversation?.lastInboundAt ?? null, now: new Date() });

    type Accepted = { replay: SendAnswer } | { answer: SendAnswer; messageIds: string[] };
    const send: Omit<SendToStore, 'records'> = { ...target, address, messagingType, tag, agent: options.agent ?? null };
    const files = (request.attachmentIds?.length ?? 0) + (request.attachmentUrls?.length ?? 0);
    let accepted: Accepted;
    if (!key && files === 0) {
      // The common case: stored together with the text sends that arrive meanwhile.
      const { messageIds, views } = await this.store.storeTogether({ ...send, records: this.recordsOf(request, 1) });
      accepted = { answer: { statusCode: 202, body: { messages: views } }, messageIds };
    } else {
      accepted = await this.dataSource.transaction(async (manager): Promise<Accepted> => {
        if (key) {
          // A concurrent first request with this key holds it until it commits; then we replay it.
          const earlier = await this.idempotency.claim(manager, organizationId, key, hash);
          if (earlier) return { replay: earlier as SendAnswer };
        }
        const { views, conversation, messageIds } = await this.storeWithFiles(manager, send, request);
        await this.events.record(manager, organizationId, [SendStoreService.pendingEntry(views, conversation)]);
        const answer: SendAnswer = { statusCode: 202, body: { messages: views } };
        if (key) await this.idempotency.record(manager, organizationId, key, answer);
        return { answer, messageIds };
      });
    }
    if ('replay' in accepted) return accepted.replay;

    const { answer, messageIds } = accepted;
    if (!options.wait) return answer;

    const settled = await this.waitForSettled(messageIds);
    if (key) await this.idempotency.record(this.dataSource.manager, organizationId, key, settled);
    return settled;
  }

  /** Cross-field rules the DTO cannot express (each a 400). */
  private validate(request: SendMessageDto, messagingType: MessagingType): void {
    if (!request.contactId === !request.conversationId) throw invalid('Give exactly one of contactId or conversationId');
    const files = (request.attachmentIds?.length ?? 0) + (request.attachmentUrls?.length ?? 0);
    if (request.text === undefined && files === 0) throw invalid('Give a text, attachmentIds or attachmentUrls, or a text with files');
    if (files > MAX_ATTACHMENTS_PER_SEND) throw invalid(`Give at most ${MAX_ATTACHMENTS_PER_SEND} files in attachmentIds and attachmentUrls together`);
    for (const [index, button] of (request.buttons ?? []).entries()) {
      if (button.type === 'postback' && button.url !== undefined) throw invalid(`buttons[${index}]: a postback button has a payload, not a url`);
      if (button.type === 'web_url' && button.payload !== undefined) throw invalid(`buttons[${index}]: a web_url button has a url, not a payload`);
    }
    if (messagingType === MessagingType.MessageTag && !request.tag) throw invalid('tag is required with messagingType MESSAGE_TAG (use HUMAN_AGENT)');
    if (messagingType !== MessagingType.MessageTag && request.tag) throw invalid('tag is only allowed with messagingType MESSAGE_TAG');
  }

  private idempotencyKey(raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    const key = raw.trim();
    if (key.length === 0 || key.length > 255) throw invalid('Idempotency-Key must be 1 to 255 characters');
    return key;
  }

  private async requireAttachments(organizationId: string, ids: string[], manager: EntityManager = this.dataSource.manager): Promise<Attachment[]> {
    if (ids.length === 0) return [];
    const found = await manager.getRepository(Attachment).find({ where: { id: In(ids), organizationId }, lock: manager.queryRunner ? { mode: 'pessimistic_write' } : undefined });
    const byId = new Map(found.map((a) => [a.id, a]));
    for (const id of ids) {
      const attachment = byId.get(id);
      if (!attachment) throw notFound(`Attachment ${id}`);
      if (attachment.status !== AttachmentStatus.Stored || !attachment.storageKey) {
        throw new DomainError(DomainErrorCode.UnprocessableRequest, `Attachment ${id} has no stored file to send`);
      }
    }
    return ids.map((id) => byId.get(id)!);
  }

  /** One record per channel call: the text (with its extras) first, then `files` more, a millisecond apart. */
  private recordsOf(request: SendMessageDto, calls: number): RecordToStore[] {
    const now = Date.now();
    return Array.from({ length: calls }, (_, index) => {
      const text = index === 0 && request.text !== undefined;
      return {
        text: text ? request.text! : null,
        quick_replies: text && request.quickReplies?.length ? request.quickReplies.map(({ title, payload }) => ({ title, payload })) : null,
        buttons: text && request.buttons?.length ? request.buttons.map(buttonOf) : null,
        // A millisecond apart, so the feed's (sentAt, id) order is the sending order.
        sent_at: new Date(now + index).toISOString(),
      };
    });
  }

  /** The records (text first, then one per attachment), the conversation's activity, and the job, in the caller's transaction. */
  private async storeWithFiles(
    manager: EntityManager,
    send: Omit<SendToStore, 'records'>,
    request: SendMessageDto,
  ): Promise<AcceptedSend> {
    const attachments = await this.requireAttachments(send.organizationId, request.attachmentIds ?? [], manager);
    // Text first, then each uploaded file, then each file to fetch: one record per channel call.
    const contents: OutgoingPart[] = [
      ...(request.text !== undefined ? [{ text: request.text }] : []),
      ...attachments.map((upload) => ({ upload })),
      ...(request.attachmentUrls ?? []).map((url) => ({ url })),
    ];
    const [{ conversation, messages }] = await this.store.store(manager, [{ ...send, records: this.recordsOf(request, contents.length) }]);
    for (const [index, content] of contents.entries()) {
      if ('upload' in content) await this.attach(manager, content.upload, messages[index].id);
      if ('url' in content) await this.attachRemote(manager, send.organizationId, content.url, messages[index].id);
    }
    const messageIds = messages.map((m) => m.id);
    // A text alone has no attachments to read back: its view is the row the insert returned.
    const views = attachments.length + (request.attachmentUrls?.length ?? 0) === 0 ? messages.map((m) => this.messageViews.message(m, [])) : await this.records.views(messageIds, manager);
    return { messageIds, views, conversation: this.messageViews.conversation(conversation) };
  }

  /** An upload is attached to its first message; sending it again attaches a copy of the row (same file). */
  private async attach(manager: EntityManager, attachment: Attachment, messageId: string): Promise<void> {
    if (attachment.messageId === null) {
      await manager.update(Attachment, { id: attachment.id }, { messageId });
      attachment.messageId = messageId;
      return;
    }
    const { id: _id, createdAt: _createdAt, message: _message, ...copy } = attachment;
    await manager.save(Attachment, manager.create(Attachment, { ...copy, messageId }));
  }

  /** A file to fetch: pending until the send job copies it into our storage (then it is sent like an upload). */
  private async attachRemote(manager: EntityManager, organizationId: string, url: string, messageId: string): Promise<void> {
    await manager.save(
      Attachment,
      manager.create(Attachment, { organizationId, messageId, type: 'file', status: AttachmentStatus.Pending, mimeType: null, size: null, sourceUrl: url }),
    );
  }

  /**
   * `?wait=true`: 200 with the settled records (a failed one carries its `error`); the contract's
   * 409 when the connection turned out expired (Graph 190); 202 with the records as they are if
   * they are still not settled after WAIT_LIMIT_MS (a retry is pending).
   */
  private async waitForSettled(messageIds: string[]): Promise<SendAnswer> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const views = await this.records.views(messageIds);
      const settled = views.every((v) => SETTLED_STATUSES.includes(v.status));
      if (settled && views.some((v) => v.error === ErrorMessages.connectionExpired)) {
        return { statusCode: 409, body: { statusCode: 409, error: 'Conflict', message: ErrorMessages.connectionExpired } };
      }
      if (settled) return { statusCode: 200, body: { messages: views } };
      if (Date.now() >= deadline) return { statusCode: 202, body: { messages: views } };
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }
}
