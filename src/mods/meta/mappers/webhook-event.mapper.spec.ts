import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from '../../../messaging/message-channel';
import type { RawMessagingEvent, WebhookBody } from '../types/webhook.types';
import { channelOfObject, conversationUserId, entryEvents, isWebhookBody, mapMessagingEvent, plausibleTime } from './webhook-event.mapper';

const fixture = (name: string): WebhookBody =>
  JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/webhooks', `${name}.json`), 'utf8')) as WebhookBody;

const PAGE = '106700000000001';
const PSID = '7000000000000001';
const IG = '17841400000000001';
const IGSID = '1200000000000001';
const NOW = 1_800_000_000_000;

/** Maps every event of the first entry. */
function mapAll(name: string) {
  const body = fixture(name);
  const entry = body.entry[0];
  return entryEvents(entry).map(({ event }) => mapMessagingEvent(event, entry.id, NOW));
}

describe('webhook body shape', () => {
  it('accepts an object with a string object and an entry array', () => {
    expect(isWebhookBody(fixture('messenger-text'))).toBe(true);
    expect(isWebhookBody({ object: 'whatsapp_business_account', entry: [] })).toBe(true);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'page'],
    ['no entry', { object: 'page' }],
    ['entry not an array', { object: 'page', entry: {} }],
    ['object not a string', { object: 1, entry: [] }],
    ['an entry that is not an object', { object: 'page', entry: ['x'] }],
  ])('refuses %s', (_, body) => {
    expect(isWebhookBody(body)).toBe(false);
  });

  it('routes page to Messenger, instagram to Instagram DM, and nothing else', () => {
    expect(channelOfObject('page')).toBe(MessageChannel.FacebookMessenger);
    expect(channelOfObject('instagram')).toBe(MessageChannel.InstagramDm);
    expect(channelOfObject('whatsapp_business_account')).toBeNull();
  });
});

describe('entries and conversations', () => {
  it('takes every event of batched entries, messaging and standby alike', () => {
    const body = fixture('messenger-batched-standby');
    const first = entryEvents(body.entry[0]);
    expect(first.map((e) => [e.event.message?.mid, e.standby])).toEqual([
      ['m_batch0001', false],
      ['m_batch0002', false],
      ['m_standby0001', true],
    ]);
    expect(entryEvents(body.entry[1]).map((e) => e.event.message?.mid)).toEqual(['m_batch0003']);
    expect(entryEvents({ id: PAGE })).toEqual([]);
  });

  it("puts an echo in the recipient's conversation and a message in the sender's", () => {
    const [echo] = entryEvents(fixture('messenger-echo').entry[0]);
    expect(conversationUserId(echo.event, PAGE)).toBe(PSID);
    const [message] = entryEvents(fixture('messenger-text').entry[0]);
    expect(conversationUserId(message.event, PAGE)).toBe(PSID);
  });
});

describe('Messenger events', () => {
  it('maps a text message with its quick-reply payload and reply_to', () => {
    const [event] = mapAll('messenger-text');
    expect(event).toEqual({
      type: 'message',
      mid: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
      userId: PSID,
      timestamp: 1735689600000,
      from: 'contact',
      appId: null,
      text: 'Do you ship to Lisbon?',
      replyToMid: 'm_earlierPageMessage0001',
      attachments: [],
      metadata: { quickReplyPayload: 'SHIPPING_PT' },
    });
  });

  it('keeps every attachment: files to copy, links and unknown types as they are', () => {
    const [event] = mapAll('messenger-attachments');
    if (event.type !== 'message') throw new Error('expected a message');
    expect(event.attachments.map((a) => [a.type, a.url !== null])).toEqual([
      ['image', true],
      ['audio', true],
      ['video', true],
      ['file', true],
      ['fallback', false],
      ['fallback', false],
      ['reel', true],
      ['ig_reel', true],
      ['post', true],
      ['hologram', false],
    ]);
    expect(event.attachments[0].payload).toMatchObject({ sticker_id: 369239263222822 });
    expect(event.attachments[4].payload).toEqual({ url: 'https://example.com/article', title: 'An article' });
    expect(event.attachments[5].payload).toBeNull();
    expect(event.attachments[9].payload).toEqual({ shape: 'cube' });
  });

  it('maps an echo as sent by the Page, with the app that sent it', () => {
    const [event] = mapAll('messenger-echo');
    expect(event).toMatchObject({
      type: 'message',
      mid: 'm_echoFromPageInbox0001',
      from: 'page',
      userId: PSID,
      appId: '263902037430900',
      text: 'Yes, we ship everywhere in Portugal.',
      metadata: { echoMetadata: 'sent-from-inbox' },
    });
  });

  it('maps deliveries with and without mids, and reads by watermark', () => {
    expect(mapAll('messenger-receipts')).toEqual([
      { type: 'delivery', userId: PSID, timestamp: 1735689603100, watermark: 1735689603000, mids: ['m_sentByUs0001'] },
      { type: 'delivery', userId: PSID, timestamp: 1735689603200, watermark: 1735689603000, mids: [] },
      { type: 'read', userId: PSID, timestamp: 1735689603300, watermark: 1735689603000, mid: null },
    ]);
  });

  it('maps react and unreact by the person', () => {
    const [react, unreact] = mapAll('messenger-reactions');
    expect(react).toEqual({ type: 'reaction', mid: 'm_sentByUs0001', userId: PSID, timestamp: 1735689604000, by: 'contact', action: 'react', reaction: 'love', emoji: '\u2764\ufe0f' });
    expect(unreact).toMatchObject({ type: 'reaction', action: 'unreact', by: 'contact' });
  });

  it('maps a reaction sent by the Page as by page', () => {
    const event: RawMessagingEvent = { sender: { id: PAGE }, recipient: { id: PSID }, timestamp: 1, reaction: { mid: 'm_1', action: 'react', reaction: 'like', emoji: '👍' } };
    expect(mapMessagingEvent(event, PAGE, NOW)).toMatchObject({ type: 'reaction', by: 'page', userId: PSID });
  });

  it('maps postbacks (with or without mid), referrals and edits', () => {
    const [postback, oldPostback, referral, edit] = mapAll('messenger-postback-referral-edit');
    expect(postback).toEqual({
      type: 'postback',
      mid: 'm_postback0001',
      userId: PSID,
      timestamp: 1735689605000,
      title: 'Talk to a human',
      metadata: { postback: { title: 'Talk to a human', payload: 'HUMAN' }, referral: { ref: 'summer', source: 'SHORTLINK', type: 'OPEN_THREAD' } },
    });
    expect(oldPostback).toMatchObject({ type: 'postback', mid: `postback:${PAGE}:${PSID}:1735689605100`, title: 'Get Started' });
    expect(referral).toEqual({
      type: 'referral',
      mid: `referral:${PAGE}:${PSID}:1735689605200`,
      userId: PSID,
      timestamp: 1735689605200,
      metadata: { referral: { ref: 'ad-campaign', source: 'ADS', type: 'OPEN_THREAD', ad_id: '6045246247433', ads_context_data: { ad_title: 'Summer sale' } } },
    });
    expect(edit).toMatchObject({ type: 'edit', text: 'Do you ship to Porto?', editCount: 1, userId: PSID });
  });

  it('ignores what it cannot use, with a reason, instead of throwing', () => {
    expect(mapMessagingEvent({ recipient: { id: PAGE }, timestamp: 1 }, PAGE, NOW)).toEqual({ type: 'ignored', reason: 'event without sender/recipient' });
    expect(mapMessagingEvent({ sender: { id: PSID }, recipient: { id: PAGE }, message: { text: 'x' } }, PAGE, NOW)).toMatchObject({ type: 'ignored' });
    expect(mapMessagingEvent({ sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 1, ...{ optin: { ref: 'x' } } }, PAGE, NOW)).toEqual({
      type: 'ignored',
      reason: 'unhandled event (optin)',
    });
  });

  it('keys a referral or mid-less postback without a timestamp by its content, so a redelivery maps to the same id', () => {
    const referral = (ref: string): RawMessagingEvent => ({ sender: { id: PSID }, recipient: { id: PAGE }, referral: { ref, source: 'SHORTLINK', type: 'OPEN_THREAD' } });
    const first = mapMessagingEvent(referral('spring'), PAGE, NOW);
    const redelivered = mapMessagingEvent(referral('spring'), PAGE, NOW + 60_000);
    expect(first).toMatchObject({ type: 'referral', timestamp: NOW });
    expect((redelivered as { mid: string }).mid).toBe((first as { mid: string }).mid);
    expect((mapMessagingEvent(referral('autumn'), PAGE, NOW) as { mid: string }).mid).not.toBe((first as { mid: string }).mid);
    const postback: RawMessagingEvent = { sender: { id: PSID }, recipient: { id: PAGE }, postback: { title: 'Get Started', payload: 'START' } };
    expect((mapMessagingEvent(postback, PAGE, NOW) as { mid: string }).mid).toBe((mapMessagingEvent(postback, PAGE, NOW + 5) as { mid: string }).mid);
  });

  it('uses the arrival time when Meta gives no timestamp', () => {
    expect(mapMessagingEvent({ sender: { id: PSID }, recipient: { id: PAGE }, message: { mid: 'm_x', text: 'x' } }, PAGE, NOW)).toMatchObject({ timestamp: NOW });
  });
});

describe('Instagram events', () => {
  const events = () => mapAll('instagram-messages');

  it('maps a text message from an IGSID', () => {
    expect(events()[0]).toMatchObject({ type: 'message', userId: IGSID, from: 'contact', text: 'Love this!', replyToMid: null, metadata: null });
  });

  it('keeps a story reply in metadata', () => {
    expect(events()[1]).toMatchObject({
      type: 'message',
      text: 'Is this still available?',
      replyToMid: null,
      metadata: { replyToStory: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x', id: '18000000000000001' } },
    });
  });

  it('copies image, share, ig_reel and ig_post media, and keeps a story mention at Meta without copying it', () => {
    const event = events()[2];
    if (event.type !== 'message') throw new Error('expected a message');
    expect(event.attachments.map((a) => [a.type, a.url, a.remoteUrl])).toEqual([
      ['image', 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2&signature=y', null],
      ['share', 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=3&signature=z', null],
      ['story_mention', null, 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=4&signature=w'],
      ['ig_reel', 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=5', null],
      ['ig_post', 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=6', null],
    ]);
  });

  it('marks an unsupported message instead of dropping it', () => {
    expect(events()[3]).toMatchObject({ type: 'message', text: null, attachments: [], metadata: { unsupported: true } });
  });

  it('maps is_deleted as an unsend of the same mid', () => {
    expect(events()[4]).toEqual({ type: 'unsend', mid: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx', userId: IGSID, timestamp: 1735689607400 });
  });

  it('maps an echo from the Instagram app as sent by the account, without an app id', () => {
    expect(events()[5]).toMatchObject({ type: 'message', from: 'page', userId: IGSID, appId: null, text: 'Sent from the Instagram app' });
  });

  it('maps reads by mid and an unreact without reaction or emoji', () => {
    const [read, react, unreact] = mapAll('instagram-receipts-reactions');
    expect(read).toEqual({ type: 'read', userId: IGSID, timestamp: 1735689608000, watermark: null, mid: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDA1' });
    expect(react).toMatchObject({ type: 'reaction', action: 'react', reaction: 'love' });
    expect(unreact).toMatchObject({ type: 'reaction', action: 'unreact', reaction: null, emoji: null, by: 'contact' });
    expect(conversationUserId(entryEvents(fixture('instagram-messages').entry[0])[5].event, IG)).toBe(IGSID);
  });

  it('replaces absurd times (1e30, seconds instead of ms, far future, not finite) by the arrival time, keeps sensible ones, and bounds edit counts', () => {
    expect(plausibleTime(1735689600000, NOW)).toBe(1735689600000);
    expect(plausibleTime(NOW + 60_000, NOW)).toBe(NOW + 60_000);
    for (const broken of [1e30, 1735689600, NOW + 2 * 86_400_000, -1, Number.NaN]) expect(plausibleTime(broken, NOW)).toBe(NOW);
    expect(plausibleTime(undefined, NOW)).toBeNull();
    const event = (timestamp: number, watermark: number): RawMessagingEvent => ({ sender: { id: PSID }, recipient: { id: PAGE }, timestamp, delivery: { watermark } });
    expect(mapMessagingEvent(event(1e30, 1e30), PAGE, NOW)).toMatchObject({ type: 'delivery', timestamp: NOW, watermark: NOW });
    const edit = (numEdit: number): RawMessagingEvent => ({ sender: { id: PSID }, recipient: { id: PAGE }, timestamp: NOW, message_edit: { mid: 'm_1', text: 'x', num_edit: numEdit } });
    expect(mapMessagingEvent(edit(1e10), PAGE, NOW)).toMatchObject({ type: 'edit', editCount: 2_147_483_647 });
    expect(mapMessagingEvent(edit(1.5), PAGE, NOW)).toMatchObject({ type: 'edit', editCount: 1 });
  });
});
