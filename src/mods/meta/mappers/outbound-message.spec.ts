import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import type { MessageButton } from '../../../messaging/channels/channel-sender';
import { MessageChannel } from '../../../messaging/message-channel';
import { assertMetaCanCarry, metaFileMessage, metaTextMessage } from './outbound-message';

const refusal = (run: () => void): DomainError => {
  try {
    run();
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('not refused');
};

describe('Meta outbound messages', () => {
  const postback: MessageButton = { type: 'postback', title: 'Yes', payload: 'YES' };
  const link: MessageButton = { type: 'web_url', title: 'Open', url: 'https://shop.example/1' };

  it('builds a plain text, a text with quick replies, and a button template carrying quick replies', () => {
    expect(metaTextMessage('hi', [], [])).toEqual({ text: 'hi' });
    expect(metaTextMessage('hi', [{ title: 'A', payload: 'a' }], [])).toEqual({ text: 'hi', quick_replies: [{ content_type: 'text', title: 'A', payload: 'a' }] });
    expect(metaTextMessage('hi', [{ title: 'A', payload: 'a' }], [postback, link])).toEqual({
      attachment: { type: 'template', payload: { template_type: 'button', text: 'hi', buttons: [postback, link] } },
      quick_replies: [{ content_type: 'text', title: 'A', payload: 'a' }],
    });
    expect(metaFileMessage('image', { attachment_id: '42' })).toEqual({ attachment: { type: 'image', payload: { attachment_id: '42' } } });
  });

  it('lets both channels carry quick replies and buttons within the limits', () => {
    for (const channel of [MessageChannel.FacebookMessenger, MessageChannel.InstagramDm]) {
      expect(() => assertMetaCanCarry(channel, { text: 'x'.repeat(640), buttons: [postback, link, postback] })).not.toThrow();
      expect(() => assertMetaCanCarry(channel, { text: 'hi', quickReplies: Array.from({ length: 13 }, () => ({ title: 'x'.repeat(20), payload: 'p'.repeat(1000) })) })).not.toThrow();
    }
    expect(() => assertMetaCanCarry(MessageChannel.FacebookMessenger, { text: 'hi', buttons: [postback], quickReplies: [{ title: 'A', payload: 'a' }] })).not.toThrow();
  });

  it.each([
    [MessageChannel.FacebookMessenger, { text: 'hi', quickReplies: [] }, /1 to 13/],
    [MessageChannel.FacebookMessenger, { quickReplies: [{ title: 'A', payload: 'a' }] }, /need a text/],
    [MessageChannel.FacebookMessenger, { text: 'hi', quickReplies: [{ title: '', payload: 'a' }] }, /title must be 1 to 20/],
    [MessageChannel.FacebookMessenger, { text: 'hi', buttons: [{ type: 'web_url', title: 'x', url: 'javascript:alert(1)' }] }, /http\(s\) URL/],
    [MessageChannel.FacebookMessenger, { text: 'hi', buttons: [{ type: 'postback', title: 'x', payload: '' }] }, /payload must be 1 to 1000/],
    [MessageChannel.InstagramDm, { text: 'hi', buttons: [postback], quickReplies: [{ title: 'A', payload: 'a' }] }, /Instagram shows quick replies only under a plain text/],
  ] as const)('refuses on %s what Meta cannot carry, as a 422', (channel, content, message) => {
    const error = refusal(() => assertMetaCanCarry(channel, content as never));
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe(DomainErrorCode.UnprocessableRequest);
    expect(error.message).toMatch(message);
  });
});
