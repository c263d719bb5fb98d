import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import type { ChannelReaction } from '../../../messaging/channels/channel-sender';
import { MessageChannel } from '../../../messaging/message-channel';

/** Messenger's named reactions and the emoji it expects for them on the wire. */
export const NAMED_REACTIONS: Readonly<Record<string, string>> = {
  like: '👍',
  love: '❤️',
  smile: '😆',
  wow: '😮',
  sad: '😢',
  angry: '😠',
  dislike: '👎',
};

export const INSTAGRAM_LOVE_ONLY = 'Instagram accepts only the love reaction (❤️). Use "love".';
export const UNKNOWN_REACTION = 'reaction must be one of like, love, smile, wow, sad, angry, dislike, or a single emoji';

const VARIATION_SELECTOR = /\uFE0F/g;
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200D|\uFE0F|\u20E3)+$/u;

function nameOfEmoji(emoji: string): string | undefined {
  const bare = emoji.replace(VARIATION_SELECTOR, '');
  return Object.keys(NAMED_REACTIONS).find((name) => NAMED_REACTIONS[name].replace(VARIATION_SELECTOR, '') === bare);
}

/**
 * A reaction from the inbox for one channel: Messenger gets an emoji (named reactions are
 * translated, an emoji passes as is); Instagram accepts only `love`, so anything else is refused
 * rather than silently changed into a love.
 */
export function metaReaction(channel: MessageChannel, input: string): ChannelReaction {
  const value = input.trim();
  const named = value.toLowerCase();
  let reaction: string;
  let emoji: string;
  if (NAMED_REACTIONS[named]) {
    reaction = named;
    emoji = NAMED_REACTIONS[named];
  } else if (value.length > 0 && value.length <= 16 && EMOJI.test(value)) {
    reaction = nameOfEmoji(value) ?? 'other';
    emoji = value;
  } else {
    throw new DomainError(DomainErrorCode.ValidationFailed, UNKNOWN_REACTION);
  }
  if (channel === MessageChannel.InstagramDm) {
    if (reaction !== 'love') throw new DomainError(DomainErrorCode.UnprocessableRequest, INSTAGRAM_LOVE_ONLY);
    return { reaction, emoji, wireValue: 'love' };
  }
  return { reaction, emoji, wireValue: emoji };
}
