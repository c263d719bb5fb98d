import { MessagingType } from '../channels/channel-sender';
import { MessageChannel } from '../message-channel';
import { layersOf, SendToStore } from './send-store.service';

const send = (contactId: string, text: string, channel = MessageChannel.FacebookMessenger): SendToStore => ({
  organizationId: 'org',
  contactId,
  channel,
  address: { account: 'page', recipientId: contactId },
  records: [{ text, quick_replies: null, buttons: null, sent_at: '2026-12-01T00:00:00.000Z' }],
  messagingType: MessagingType.Response,
  tag: null,
  agent: null,
});
const texts = (layers: SendToStore[][]) => layers.map((layer) => layer.map((s) => s.records[0].text));

describe('layersOf (sends of one statement are of distinct conversations)', () => {
  it('keeps sends to different conversations in one layer, in order', () => {
    expect(texts(layersOf([send('a', 'a1'), send('b', 'b1'), send('c', 'c1')]))).toEqual([['a1', 'b1', 'c1']]);
  });

  it('puts a conversation’s later send in a later layer, and others in the earliest layer after their own last', () => {
    const layers = layersOf([send('a', 'a1'), send('b', 'b1'), send('a', 'a2'), send('c', 'c1'), send('a', 'a3'), send('b', 'b2')]);
    expect(texts(layers)).toEqual([['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
  });

  it('tells a contact’s channels apart: each is a conversation of its own', () => {
    expect(texts(layersOf([send('a', 'fb'), send('a', 'ig', MessageChannel.InstagramDm)]))).toEqual([['fb', 'ig']]);
  });
});
