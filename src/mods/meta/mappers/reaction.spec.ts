import { DomainErrorCode } from '../../../common/domain-error';
import { MessageChannel } from '../../../messaging/message-channel';
import { INSTAGRAM_LOVE_ONLY, metaReaction } from './reaction';

const messenger = MessageChannel.FacebookMessenger;
const instagram = MessageChannel.InstagramDm;

describe('metaReaction', () => {
  it.each([
    ['like', '👍'],
    ['love', '❤️'],
    ['smile', '😆'],
    ['wow', '😮'],
    ['sad', '😢'],
    ['angry', '😠'],
    ['dislike', '👎'],
  ])('sends Messenger the emoji of %s', (name, emoji) => {
    expect(metaReaction(messenger, name)).toEqual({ reaction: name, emoji, wireValue: emoji });
  });

  it('accepts names in any case', () => {
    expect(metaReaction(messenger, ' LIKE ').reaction).toBe('like');
  });

  it('passes an emoji to Messenger as given, naming it when it is a known one', () => {
    expect(metaReaction(messenger, '🔥')).toEqual({ reaction: 'other', emoji: '🔥', wireValue: '🔥' });
    expect(metaReaction(messenger, '👍')).toEqual({ reaction: 'like', emoji: '👍', wireValue: '👍' });
    expect(metaReaction(messenger, '❤')).toEqual({ reaction: 'love', emoji: '❤', wireValue: '❤' });
    expect(metaReaction(messenger, '👍🏽').wireValue).toBe('👍🏽');
  });

  it('sends Instagram "love" for the love reaction, by name or emoji', () => {
    expect(metaReaction(instagram, 'love')).toEqual({ reaction: 'love', emoji: '❤️', wireValue: 'love' });
    expect(metaReaction(instagram, '❤️').wireValue).toBe('love');
  });

  it('refuses any other reaction on Instagram instead of changing it', () => {
    for (const input of ['like', 'wow', '🔥']) {
      expect(() => metaReaction(instagram, input)).toThrow(INSTAGRAM_LOVE_ONLY);
    }
    try {
      metaReaction(instagram, 'like');
    } catch (error) {
      expect((error as { code: string }).code).toBe(DomainErrorCode.UnprocessableRequest);
    }
  });

  it.each(['', 'thumbsup', 'hello 👍', 'a'])('refuses %p as invalid input', (input) => {
    expect(() => metaReaction(messenger, input)).toThrow(/reaction must be/);
  });
});
