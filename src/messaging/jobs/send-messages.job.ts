import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DomainError } from '../../common/domain-error';
import { BatchedReads } from '../../jobs/batched-reads';
import { JobContext, JobQueue, RunLater, SEND_WORKERS } from '../../jobs/job-queue.service';
import { AppConfig } from '../../config/app-config';
import { Metrics } from '../../metrics/metrics.service';
import { ChannelRegistry } from '../channels/channel-registry';
import { ChannelAddress, ChannelBusyError, ChannelSendError, MessagingType, MessageTag, OutboundContent } from '../channels/channel-sender';
import { GraphErrorDetails, Message } from '../entities/message.entity';
import { OutboundFileError, OutboundFilesService } from '../services/outbound-files.service';
import { PrivateReplyRecordsService } from '../services/private-reply-records.service';
import { SendRecordsService, SETTLED_STATUSES } from '../services/send-records.service';

export const SEND_MESSAGES_JOB = 'messaging.send-messages';

/** The records of one accepted send, in sending order (text first, then each attachment). */
export interface SendMessagesPayload {
  messageIds: string[];
  /** The channel's turn for the first unsettled record, when the job was put back to wait for it. */
  turn?: string | null;
  /** Where the channel reached the contact when the send was accepted (so the job need not look it up). */
  address?: ChannelAddress | null;
}

/** Sends of one conversation run one at a time, in order, also across retries (an ordered queue). */
export const SEND_QUEUE_PREFIX = 'send:';
export const sendQueueOf = (conversationId: string) => `${SEND_QUEUE_PREFIX}${conversationId}`;

/**
 * Sends of other conversations a send job runs alongside itself, at most: under a backlog one
 * fetch then starts many sends. With its own, half the default 32 send workers' worth, so at the
 * default one worker's batch to a single Page stays within the channel's per-Page cap (a send
 * beyond it is put back). 15 rather than 8 took 10 % fewer statements a send with the same
 * throughput in the bench, as each fetch started more sends.
 */
const SENDS_ALONGSIDE = 15;

const INTERNAL_FAILURE = 'The message could not be sent because of an internal error. Try sending it again.';

/**
 * Sends each pending record through its channel's sender, in order. A transient failure leaves
 * the record `failed_waiting_for_retry` and rethrows, so the queue retries the job with backoff
 * (records already settled are skipped on the next run); the last attempt, a permanent error or
 * a refusal (connection gone or expired) makes it `failed` with a sentence a person can act on.
 *
 * Delivery is at-least-once per Graph call: the record is written after Meta answered, so a crash
 * in between leaves it pending and the re-run job calls Meta again.
 */
@Injectable()
export class SendMessagesJob implements OnModuleInit {
  private readonly logger = new Logger('SendMessagesJob');
  /**
   * Everything the sends need from us (records, conversation, attachments) in one statement,
   * shared by the jobs that start while one is in flight (a worker's sends run together).
   */
  private readonly loading = new BatchedReads<string[], Map<string, Message>>({
    read: async (idLists) => {
      const messages = await this.dataSource
        .getRepository(Message)
        .find({ where: { id: In(idLists.flat()) }, relations: { conversation: true, attachments: true } });
      const byId = new Map(messages.map((message) => [message.id, message]));
      return idLists.map((ids) => new Map<string, Message>(ids.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!])));
    },
    maxItems: 100,
  });

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly registry: ChannelRegistry,
    private readonly records: SendRecordsService,
    private readonly files: OutboundFilesService,
    private readonly privateReplies: PrivateReplyRecordsService,
    private readonly metrics: Metrics,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    // A later send to a contact waits while an earlier one waits for its retry.
    // On workers of their own: a send backlog never delays inbound processing.
    // A worker that takes a send also takes the sends next in line of other conversations.
    this.jobs.registerIsolated<SendMessagesPayload>(SEND_WORKERS, this.config.sendWorkerConcurrency, SEND_MESSAGES_JOB, (payload, context) => this.run(payload, context), {
      ordered: true,
      alongside: { queuesStartingWith: SEND_QUEUE_PREFIX, max: SENDS_ALONGSIDE },
    });
  }

  async run({ messageIds, turn, address }: SendMessagesPayload, context: JobContext): Promise<void> {
    const byId = (await this.loading.read(messageIds))!;
    for (const id of messageIds) {
      const message = byId.get(id);
      if (!message || SETTLED_STATUSES.includes(message.status)) continue;
      await this.sendOne(message, context, turn, address ?? null);
      turn = null;
    }
  }

  private async sendOne(message: Message, context: JobContext, turn: string | null | undefined, address: ChannelAddress | null): Promise<void> {
    try {
      if (message.privateReplyToComment && !message.conversationId) {
        const sent = await this.registry.get(message.channel).sendPrivateReply(message.organizationId, message.channel, message.privateReplyToComment, message.text ?? '');
        await this.privateReplies.published(message, sent);
        this.metrics.sendSettled(message.channel, 'published', null);
        return;
      }
      if (!message.conversation) throw new Error(`conversation ${message.conversationId} of message ${message.id} not found`);
      const target = { organizationId: message.organizationId, contactId: message.conversation.contactId, channel: message.channel };
      const options = { messagingType: (message.messagingType ?? MessagingType.Response) as MessagingType, tag: message.tag as MessageTag | null, turn, address };
      const content = await this.contentOf(message);
      const externalId = await this.registry.get(message.channel).send(target, content, options);
      await this.records.published(message, externalId);
      this.metrics.sendSettled(message.channel, 'published', null);
    } catch (error) {
      // The account is rate-limited or busy: wait for its turn off the workers, with nothing recorded.
      if (error instanceof ChannelBusyError) throw new RunLater(error.retryAt, { turn: error.turn });
      if (error instanceof OutboundFileError) {
        const details = { code: null, subcode: null, message: error.reason, fbtraceId: null };
        if (!error.permanent && !context.isLastAttempt) {
          await this.records.waitingForRetry(message, details);
          this.metrics.sendSettled(message.channel, 'failed_waiting_for_retry', null);
          throw error;
        }
        await this.records.failed(message, details, error.userMessage);
        this.failedForGood(message, details, error.userMessage, context, null);
      } else if (error instanceof ChannelSendError) {
        if (error.transient && !context.isLastAttempt) {
          await this.records.waitingForRetry(message, error.details);
          this.metrics.sendSettled(message.channel, 'failed_waiting_for_retry', error.details.code);
          throw error;
        }
        await this.records.failed(message, error.details, error.userMessage);
        this.failedForGood(message, error.details, error.userMessage, context, error.account);
      } else if (error instanceof DomainError) {
        // Refused now though accepted before: the connection was removed or found expired.
        await this.records.failed(message, null, error.message);
        this.failedForGood(message, null, error.message, context, null);
      } else {
        this.logger.error(`send of message ${message.id} failed: ${(error as Error)?.stack ?? error}`);
        const details = { code: null, subcode: null, message: (error as Error)?.message ?? String(error), fbtraceId: null };
        if (!context.isLastAttempt) {
          await this.records.waitingForRetry(message, details);
          this.metrics.sendSettled(message.channel, 'failed_waiting_for_retry', null);
          throw error;
        }
        await this.records.failed(message, details, INTERNAL_FAILURE);
        this.failedForGood(message, details, INTERNAL_FAILURE, context, null);
      }
    }
  }

  /** The line an operator looks for when a customer did not get a reply: who, where, and Meta's words. */
  private failedForGood(message: Message, details: GraphErrorDetails | null, error: string, context: JobContext, account: string | null): void {
    this.metrics.sendSettled(message.channel, 'failed', details?.code ?? null);
    this.logger.warn({
      msg: `send failed for good: ${details?.message ?? error}`,
      messageId: message.id,
      conversationId: message.conversationId,
      organizationId: message.organizationId,
      channel: message.channel,
      account,
      code: details?.code ?? null,
      subcode: details?.subcode ?? null,
      fbtraceId: details?.fbtraceId ?? null,
      error,
      attempt: context.attempt,
    });
  }

  /** A file named by URL is fetched into our storage first; after that it goes like an upload. */
  private async contentOf(message: Message): Promise<OutboundContent> {
    const [attachment] = message.attachments ?? [];
    if (attachment) {
      const stored = await this.files.fetch(attachment);
      message.attachments = [stored];
      if (stored.storageKey) return { kind: 'attachment', storageKey: stored.storageKey, mimeType: stored.mimeType };
    }
    return { kind: 'text', text: message.text ?? '', quickReplies: message.quickReplies ?? [], buttons: message.buttons ?? [] };
  }
}
