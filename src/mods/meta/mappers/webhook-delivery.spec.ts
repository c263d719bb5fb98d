import { MessageChannel } from '../../../messaging/message-channel';
import type { WebhookBody } from '../types/webhook.types';
import { inboundLaneOf, splitDelivery } from './webhook-delivery';

const PAGE = '106700000000001';
const OTHER_PAGE = '106700000000002';
const NOW = 1_800_000_000_000;

const text = (from: string, to: string, mid: string) => ({ sender: { id: from }, recipient: { id: to }, timestamp: NOW, message: { mid, text: mid } });

describe('splitting a delivery into one row of inbound work per conversation', () => {
  it('groups events by account and person, keeping Meta order within each and first-seen order across them', () => {
    const body: WebhookBody = {
      object: 'page',
      entry: [
        { id: PAGE, messaging: [text('psid-a', PAGE, 'm1'), text('psid-b', PAGE, 'm2')] },
        { id: PAGE, messaging: [text('psid-a', PAGE, 'm3')] },
        { id: OTHER_PAGE, messaging: [text('psid-a', OTHER_PAGE, 'm4')] },
      ],
    };
    const { batches, unroutable } = splitDelivery(body, MessageChannel.FacebookMessenger, NOW);
    expect(unroutable).toBe(0);
    expect(batches.map((b) => [b.lane, b.payload.events.map(({ event }) => event.message?.mid)])).toEqual([
      [inboundLaneOf(`${PAGE}:psid-a`), ['m1', 'm3']],
      [inboundLaneOf(`${PAGE}:psid-b`), ['m2']],
      [inboundLaneOf(`${OTHER_PAGE}:psid-a`), ['m4']],
    ]);
    expect(batches[0].payload).toMatchObject({ channel: MessageChannel.FacebookMessenger, accountId: PAGE, receivedAt: NOW });
  });

  it('puts an echo in the conversation of its recipient, next to that person’s own messages', () => {
    const body: WebhookBody = { object: 'page', entry: [{ id: PAGE, messaging: [text('psid-a', PAGE, 'in'), text(PAGE, 'psid-a', 'echo')] }] };
    const { batches } = splitDelivery(body, MessageChannel.FacebookMessenger, NOW);
    expect(batches).toHaveLength(1);
    expect(batches[0].payload.events).toHaveLength(2);
  });

  it('keeps standby events, marked as such, after the entry’s own', () => {
    const body: WebhookBody = { object: 'page', entry: [{ id: PAGE, standby: [text('psid-a', PAGE, 's1')], messaging: [text('psid-a', PAGE, 'm1')] }] };
    const [batch] = splitDelivery(body, MessageChannel.FacebookMessenger, NOW).batches;
    expect(batch.payload.events.map(({ event, standby }) => [event.message?.mid, standby])).toEqual([
      ['m1', false],
      ['s1', true],
    ]);
  });

  it('counts entries without an account id instead of routing them, and makes no job for an entry without events', () => {
    const body = { object: 'instagram', entry: [{ messaging: [text('igsid', 'x', 'm1')] }, { id: PAGE, messaging: [] }] } as unknown as WebhookBody;
    expect(splitDelivery(body, MessageChannel.InstagramDm, NOW)).toEqual({ batches: [], unroutable: 1 });
  });
});
