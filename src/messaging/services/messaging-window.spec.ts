import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { MessageTag, MessagingType } from '../channels/channel-sender';
import { assertInsideMessagingWindow, OUTSIDE_HUMAN_AGENT_WINDOW, OUTSIDE_STANDARD_WINDOW } from './messaging-window';

const now = new Date('2030-01-10T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600 * 1000);

function refusal(input: Parameters<typeof assertInsideMessagingWindow>[0]): DomainError | undefined {
  try {
    assertInsideMessagingWindow(input);
    return undefined;
  } catch (error) {
    return error as DomainError;
  }
}

describe('assertInsideMessagingWindow', () => {
  it.each([MessagingType.Response, MessagingType.Update])('allows %s up to 24 hours after the last inbound message', (messagingType) => {
    expect(refusal({ messagingType, tag: null, lastInboundAt: hoursAgo(23.9), now })).toBeUndefined();
    expect(refusal({ messagingType, tag: null, lastInboundAt: hoursAgo(24), now })).toBeUndefined();
  });

  it.each([MessagingType.Response, MessagingType.Update])('refuses %s later than 24 hours, saying why', (messagingType) => {
    const error = refusal({ messagingType, tag: null, lastInboundAt: hoursAgo(24.01), now });
    expect(error?.code).toBe(DomainErrorCode.OutsideMessagingWindow);
    expect(error?.message).toBe(OUTSIDE_STANDARD_WINDOW);
    expect(error?.message).toContain('24 hours');
  });

  it('allows a HUMAN_AGENT reply up to 7 days and refuses it after', () => {
    const tagged = { messagingType: MessagingType.MessageTag, tag: MessageTag.HumanAgent };
    expect(refusal({ ...tagged, lastInboundAt: hoursAgo(25), now })).toBeUndefined();
    expect(refusal({ ...tagged, lastInboundAt: hoursAgo(7 * 24 - 0.1), now })).toBeUndefined();
    expect(refusal({ ...tagged, lastInboundAt: hoursAgo(7 * 24 + 0.1), now })?.message).toBe(OUTSIDE_HUMAN_AGENT_WINDOW);
  });

  it('lets Meta decide when the contact never wrote in the conversation', () => {
    expect(refusal({ messagingType: MessagingType.Response, tag: null, lastInboundAt: null, now })).toBeUndefined();
  });
});
