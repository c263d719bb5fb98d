import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { JobQueue } from '../../jobs/job-queue.service';
import { DomainEvents } from '../../events/domain-events.service';
import { ChannelRegistry } from '../channels/channel-registry';
import { Message, MessageDirection, MessageSender, MessageStatus } from '../entities/message.entity';
import { SEND_MESSAGES_JOB, SendMessagesPayload, sendQueueOf } from '../jobs/send-messages.job';
import { MessageChannel } from '../message-channel';
import { MessageView } from '../views/message.view';
import { SendRecordsService } from './send-records.service';

const UNIQUE_VIOLATION = '23505';

export const ALREADY_PRIVATELY_REPLIED =
  'This comment already has a private reply. Meta allows one per comment; continue in the conversation it opened.';

/**
 * Private replies to comments as messages of the send pipeline: accepted as a pending record
 * without a conversation (the commenter's user id is unknown until the platform answers), sent
 * by the send job like any message, and moved into the commenter's conversation once the
 * platform names them (`PrivateReplyRecordsService`). One per comment: a unique index refuses a
 * second that has not failed.
 */
@Injectable()
export class PrivateRepliesService {
  constructor(
    private readonly registry: ChannelRegistry,
    private readonly records: SendRecordsService,
    private readonly jobs: JobQueue,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
  ) {}

  /** The connection's refusals (409s), before anything is written. */
  checkReady(organizationId: string, channel: MessageChannel): Promise<void> {
    return this.registry.get(channel).checkAccountReady(organizationId, channel);
  }

  /**
   * One pending record and its job, in the caller's transaction (with whatever else the caller
   * records there). A second private reply that has not failed is refused by the unique index:
   * the transaction is rolled back and the caller gets the 409.
   */
  async accept(manager: EntityManager, organizationId: string, channel: MessageChannel, commentExternalId: string, text: string): Promise<MessageView> {
    const message = manager.create(Message, {
      organizationId,
      conversationId: null,
      channel,
      direction: MessageDirection.Outbound,
      sender: MessageSender.Agent,
      status: MessageStatus.Pending,
      text,
      sentAt: new Date(),
      privateReplyToComment: commentExternalId,
    });
    try {
      await manager.save(message);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new DomainError(DomainErrorCode.Conflict, ALREADY_PRIVATELY_REPLIED);
      throw error;
    }
    await this.jobs.add<SendMessagesPayload>(
      SEND_MESSAGES_JOB,
      { messageIds: [message.id] },
      { queue: sendQueueOf(`comment:${channel}:${commentExternalId}`), maxAttempts: this.config.sendMaxAttempts },
      manager,
    );
    const [view] = await this.records.views([message.id], manager);
    // Pending records are news to open inboxes only: integrators hear of them once sent.
    await this.events.record(manager, organizationId, [{ type: null, realtime: [{ event: 'message.created', payload: view }] }]);
    return view;
  }
}
