import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { MessageTag, MessagingType } from '../channels/channel-sender';

const HOUR_MS = 3600 * 1000;
/** Free-form replies (RESPONSE, UPDATE) are allowed this long after the contact last wrote. */
export const STANDARD_WINDOW_MS = 24 * HOUR_MS;
/** A human agent's reply with the HUMAN_AGENT tag is allowed this long after it. */
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;

export const OUTSIDE_STANDARD_WINDOW =
  "This contact's last message is more than 24 hours old, so Meta's 24-hour messaging window is closed. Reply within 7 days with messagingType MESSAGE_TAG and tag HUMAN_AGENT, or wait for the contact to write again.";
export const OUTSIDE_HUMAN_AGENT_WINDOW =
  "This contact's last message is more than 7 days old, so even a HUMAN_AGENT reply is outside Meta's messaging window. Wait for the contact to write again.";

export interface WindowInput {
  messagingType: MessagingType;
  tag: MessageTag | null;
  /** The contact's last inbound message; null when they never wrote in this conversation. */
  lastInboundAt: Date | null;
  now: Date;
}

/**
 * Refuses a send Meta would refuse for the messaging window. With no inbound message on record
 * we cannot know (the person may have written before we were connected), so Meta decides.
 * The tag is never added on our behalf: the caller chooses MESSAGE_TAG + HUMAN_AGENT.
 */
export function assertInsideMessagingWindow({ messagingType, tag, lastInboundAt, now }: WindowInput): void {
  if (!lastInboundAt) return;
  const age = now.getTime() - lastInboundAt.getTime();
  if (messagingType === MessagingType.MessageTag && tag === MessageTag.HumanAgent) {
    if (age > HUMAN_AGENT_WINDOW_MS) throw new DomainError(DomainErrorCode.OutsideMessagingWindow, OUTSIDE_HUMAN_AGENT_WINDOW);
    return;
  }
  if (age > STANDARD_WINDOW_MS) throw new DomainError(DomainErrorCode.OutsideMessagingWindow, OUTSIDE_STANDARD_WINDOW);
}
