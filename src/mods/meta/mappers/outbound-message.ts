import { assertUnreachable } from '../../../common/assert-unreachable';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import type { MessageButton, QuickReply, RichText } from '../../../messaging/channels/channel-sender';
import { MessageChannel } from '../../../messaging/message-channel';
import type { MetaAttachmentType } from './mime-type';

/** Meta's limits for quick replies and the button template (Messenger and Instagram alike). */
export const META_LIMITS = {
  quickReplies: 13,
  quickReplyTitle: 20,
  payload: 1000,
  buttons: 3,
  buttonTitle: 20,
  buttonTemplateText: 640,
} as const;

export interface MetaQuickReply {
  content_type: 'text';
  title: string;
  payload: string;
}

export type MetaAttachmentPayload = { url: string; is_reusable: boolean } | { attachment_id: string };

/** The `message` object of one Send API call. */
export type MetaMessage =
  | { text: string; quick_replies?: MetaQuickReply[] }
  | { attachment: { type: 'template'; payload: { template_type: 'button'; text: string; buttons: MessageButton[] } }; quick_replies?: MetaQuickReply[] }
  | { attachment: { type: MetaAttachmentType; payload: MetaAttachmentPayload } };

const refuse = (message: string) => new DomainError(DomainErrorCode.UnprocessableRequest, message);

/**
 * What Meta would refuse, said before anything is queued. Instagram shows quick replies only under
 * a plain text, so it cannot carry them together with buttons; Messenger puts them on the template.
 */
export function assertMetaCanCarry(channel: MessageChannel, content: RichText): void {
  const { text, quickReplies, buttons } = content;
  if (quickReplies !== undefined) checkQuickReplies(quickReplies, text);
  if (buttons !== undefined) checkButtons(buttons, text);
  if (quickReplies?.length && buttons?.length) {
    switch (channel) {
      case MessageChannel.FacebookMessenger:
        return;
      case MessageChannel.InstagramDm:
        throw refuse('Instagram shows quick replies only under a plain text, not with buttons. Send the buttons and the quick replies as two messages.');
      default:
        assertUnreachable(channel);
    }
  }
}

function checkQuickReplies(quickReplies: QuickReply[], text: string | undefined): void {
  if (text === undefined) throw refuse('quickReplies need a text to show them under');
  if (quickReplies.length < 1 || quickReplies.length > META_LIMITS.quickReplies) {
    throw refuse(`Give 1 to ${META_LIMITS.quickReplies} quickReplies (got ${quickReplies.length})`);
  }
  for (const [index, reply] of quickReplies.entries()) {
    if (reply.title.length === 0 || reply.title.length > META_LIMITS.quickReplyTitle) {
      throw refuse(`quickReplies[${index}].title must be 1 to ${META_LIMITS.quickReplyTitle} characters`);
    }
    if (reply.payload.length === 0 || reply.payload.length > META_LIMITS.payload) {
      throw refuse(`quickReplies[${index}].payload must be 1 to ${META_LIMITS.payload} characters`);
    }
  }
}

function checkButtons(buttons: MessageButton[], text: string | undefined): void {
  if (text === undefined) throw refuse('buttons need a text to show them under');
  if (text.length > META_LIMITS.buttonTemplateText) throw refuse(`A text with buttons can be at most ${META_LIMITS.buttonTemplateText} characters (got ${text.length})`);
  if (buttons.length < 1 || buttons.length > META_LIMITS.buttons) throw refuse(`Give 1 to ${META_LIMITS.buttons} buttons (got ${buttons.length})`);
  for (const [index, button] of buttons.entries()) {
    if (button.title.length === 0 || button.title.length > META_LIMITS.buttonTitle) {
      throw refuse(`buttons[${index}].title must be 1 to ${META_LIMITS.buttonTitle} characters`);
    }
    switch (button.type) {
      case 'postback':
        if (button.payload.length === 0 || button.payload.length > META_LIMITS.payload) {
          throw refuse(`buttons[${index}].payload must be 1 to ${META_LIMITS.payload} characters`);
        }
        break;
      case 'web_url':
        if (!/^https?:\/\//i.test(button.url)) throw refuse(`buttons[${index}].url must be an http(s) URL`);
        break;
      default:
        assertUnreachable(button);
    }
  }
}

/** A text as one Send API `message`: plain, or a button template; quick replies ride along. */
export function metaTextMessage(text: string, quickReplies: QuickReply[], buttons: MessageButton[]): MetaMessage {
  const quick = quickReplies.length ? { quick_replies: quickReplies.map((r): MetaQuickReply => ({ content_type: 'text', title: r.title, payload: r.payload })) } : {};
  if (buttons.length === 0) return { text, ...quick };
  return { attachment: { type: 'template', payload: { template_type: 'button', text, buttons: buttons.map(metaButton) } }, ...quick };
}

function metaButton(button: MessageButton): MessageButton {
  switch (button.type) {
    case 'postback':
      return { type: 'postback', title: button.title, payload: button.payload };
    case 'web_url':
      return { type: 'web_url', title: button.title, url: button.url };
    default:
      return assertUnreachable(button);
  }
}

export function metaFileMessage(type: MetaAttachmentType, payload: MetaAttachmentPayload): MetaMessage {
  return { attachment: { type, payload } };
}
