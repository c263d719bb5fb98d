import { faults, GraphFault } from '../graph-fault';

/** Meta's documented limits (Messenger Platform and Instagram Messaging references). */
export const LIMITS = { text: 2000, quickReplies: 13, quickReplyTitle: 20, payload: 1000, buttons: 3, buttonTitle: 20, buttonTemplateText: 640, genericElements: 10 };
const QUICK_REPLY_TYPES = new Set(['text', 'user_phone_number', 'user_email']);
const TEMPLATE_TYPES = new Set(['button', 'generic']);

const bad = (message: string, subcode?: number) => faults.invalidParameter(message, subcode);
const isText = (value: unknown, max: number) => typeof value === 'string' && value.length > 0 && value.length <= max;

/**
 * `message.quick_replies`: 1–13, text ones with a title ≤ 20 and a payload ≤ 1000. Messenger puts
 * them on any message; Instagram only under a plain text.
 */
export function checkQuickReplies(message: Record<string, any>, instagram: boolean): void {
  const replies = message.quick_replies;
  if (replies === undefined) return;
  if (!Array.isArray(replies) || replies.length === 0) throw bad('param message[quick_replies] must be a non-empty array');
  if (replies.length > LIMITS.quickReplies) throw bad(`param message[quick_replies] must have at most ${LIMITS.quickReplies} elements`);
  if (instagram && typeof message.text !== 'string') throw bad('Quick replies are only supported with a text message on Instagram');
  for (const [index, reply] of replies.entries()) {
    if (!reply || !QUICK_REPLY_TYPES.has(reply.content_type)) throw bad(`param message[quick_replies][${index}][content_type] must be one of {${[...QUICK_REPLY_TYPES].join(', ')}}`);
    if (reply.content_type !== 'text') continue;
    if (!isText(reply.title, LIMITS.quickReplyTitle)) throw bad(`param message[quick_replies][${index}][title] must be a non-empty UTF-8 encoded string of at most ${LIMITS.quickReplyTitle} characters`);
    if (!isText(reply.payload, LIMITS.payload)) throw bad(`param message[quick_replies][${index}][payload] must be a non-empty UTF-8 encoded string of at most ${LIMITS.payload} characters`);
  }
}

/** `attachment.type: template`: the button template (1–3 postback / web_url buttons under a text ≤ 640) or a generic one. */
export function checkTemplate(payload: Record<string, any> | undefined): void {
  const type = payload?.template_type;
  if (!TEMPLATE_TYPES.has(type)) throw bad(`param message[attachment][payload][template_type] must be one of {${[...TEMPLATE_TYPES].join(', ')}}`);
  if (type === 'generic') {
    const elements = payload!.elements;
    if (!Array.isArray(elements) || elements.length === 0 || elements.length > LIMITS.genericElements) throw bad('param elements must be an array of 1 to 10 elements');
    for (const element of elements) if (!isText(element?.title, 80)) throw bad('param elements[title] must be a non-empty string of at most 80 characters');
    return;
  }
  if (!isText(payload!.text, LIMITS.buttonTemplateText)) throw bad(`param message[attachment][payload][text] must be a non-empty UTF-8 encoded string of at most ${LIMITS.buttonTemplateText} characters`);
  checkButtons(payload!.buttons);
}

function checkButtons(buttons: unknown): void {
  if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > LIMITS.buttons) throw bad(`param buttons must be an array of 1 to ${LIMITS.buttons} elements`);
  for (const [index, button] of buttons.entries()) {
    if (!isText(button?.title, LIMITS.buttonTitle)) throw bad(`param buttons[${index}][title] must be a non-empty UTF-8 encoded string of at most ${LIMITS.buttonTitle} characters`);
    switch (button.type) {
      case 'postback':
        if (!isText(button.payload, LIMITS.payload)) throw bad(`param buttons[${index}][payload] must be a non-empty string of at most ${LIMITS.payload} characters`);
        break;
      case 'web_url':
        if (typeof button.url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(button.url)) throw bad(`param buttons[${index}][url] must be a valid URL`);
        break;
      default:
        throw bad(`param buttons[${index}][type] must be one of {postback, web_url}`);
    }
  }
}

/** A file attachment names its source once: a URL (optionally saved for reuse) or a saved attachment id. */
export function fileSource(payload: Record<string, any> | undefined): { url: unknown; reusable: boolean } | { attachmentId: string } {
  if (!payload || typeof payload !== 'object') throw bad('param message[attachment][payload] is required');
  const hasId = payload.attachment_id !== undefined;
  if (hasId === (payload.url !== undefined)) throw bad('Exactly one of message[attachment][payload][url] or message[attachment][payload][attachment_id] must be set');
  if (hasId) {
    if (typeof payload.attachment_id !== 'string' || !payload.attachment_id) throw bad('param message[attachment][payload][attachment_id] must be a string');
    if (payload.is_reusable !== undefined) throw bad('param message[attachment][payload][is_reusable] cannot be used with an attachment_id');
    return { attachmentId: payload.attachment_id };
  }
  if (payload.is_reusable !== undefined && typeof payload.is_reusable !== 'boolean') throw bad('param message[attachment][payload][is_reusable] must be a boolean');
  return { url: payload.url, reusable: payload.is_reusable === true };
}

export const unknownAttachment = () => new GraphFault('(#100) The attachment_id is invalid or has expired. Upload the file again to get a new one.', 100, 2018047);
