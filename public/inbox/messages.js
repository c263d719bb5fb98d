import { CHANNEL_LABEL, h, timeOf } from './dom.js';

const DAY = 24 * 3600 * 1000;
export const HUMAN_AGENT_DAYS = 7;

const STATUS_LABEL = {
  received: '',
  pending: 'Sending…',
  published: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed_waiting_for_retry: 'Retrying…',
  failed: 'Not sent',
};

const REACTION_EMOJI = { like: '👍', love: '❤', smile: '😆', wow: '😮', sad: '😢', angry: '😠', dislike: '👎' };

/** Where the conversation stands with Meta's messaging window, from the customer's last message. */
export function windowOf(conversation, now = Date.now()) {
  if (!conversation.lastInboundAt) return { state: 'none' };
  const since = now - new Date(conversation.lastInboundAt).getTime();
  if (since < DAY) return { state: 'open', hoursLeft: Math.max(1, Math.ceil((DAY - since) / 3600000)) };
  if (since < HUMAN_AGENT_DAYS * DAY) return { state: 'human_agent', daysLeft: Math.max(1, Math.ceil((HUMAN_AGENT_DAYS * DAY - since) / DAY)) };
  return { state: 'closed' };
}

function attachmentView(attachment) {
  const url = attachment.url;
  if (!url) return h('span', { class: 'attachment missing' }, `${attachment.type} (not available)`);
  switch (attachment.type) {
    case 'image':
    case 'story_mention':
      return h('a', { class: 'attachment image', href: url, target: '_blank', rel: 'noopener' }, h('img', { src: url, alt: attachment.type === 'image' ? 'image' : 'story', loading: 'lazy' }));
    case 'video':
      return h('video', { class: 'attachment video', src: url, controls: true, preload: 'metadata' });
    case 'audio':
      return h('audio', { class: 'attachment audio', src: url, controls: true, preload: 'metadata' });
    default:
      return h('a', { class: 'attachment file', href: url, target: '_blank', rel: 'noopener' }, `File: ${attachment.mimeType ?? attachment.type}`);
  }
}

function reactionsView(message) {
  if (!message.reactions?.length) return null;
  return h(
    'div',
    { class: 'reactions' },
    message.reactions.map((r) => h('span', { class: 'reaction', dataset: { by: r.by, reaction: r.reaction }, title: `${r.by === 'page' ? 'You' : 'Customer'}: ${r.reaction}` }, r.emoji ?? REACTION_EMOJI[r.reaction] ?? r.reaction)),
  );
}

function bodyView(message) {
  if (message.deletedAt) return h('div', { class: 'text unsent' }, 'This message was unsent');
  const parts = [];
  if (message.kind === 'postback') parts.push(h('div', { class: 'kind' }, 'Tapped a button'));
  if (message.kind === 'referral') parts.push(h('div', { class: 'kind' }, 'Came from a link or ad'));
  if (message.text) parts.push(h('div', { class: 'text' }, message.text));
  if (message.attachments?.length) parts.push(h('div', { class: 'attachments' }, message.attachments.map(attachmentView)));
  if (!parts.length) parts.push(h('div', { class: 'text muted' }, '(no content)'));
  return parts;
}

/** One message as the conversation shows it; `onReact` toggles the Page's ❤ on an inbound one. */
export function messageView(message, { onReact }) {
  const outbound = message.direction === 'outbound';
  const pageReaction = message.reactions?.find((r) => r.by === 'page');
  const meta = h(
    'div',
    { class: 'meta' },
    outbound && message.agent ? h('span', { class: 'agent' }, message.agent.name) : null,
    outbound && !message.agent && message.sender === 'page' ? h('span', { class: 'agent' }, 'Page') : null,
    h('time', { datetime: message.sentAt }, timeOf(message.sentAt)),
    message.editedAt && !message.deletedAt ? h('span', { class: 'edited' }, 'edited') : null,
    outbound ? h('span', { class: 'status', dataset: { status: message.status } }, STATUS_LABEL[message.status] ?? message.status) : null,
    message.status === 'failed' && message.error ? h('span', { class: 'error' }, message.error) : null,
  );
  return h(
    'li',
    { class: `message ${outbound ? 'outbound' : 'inbound'}`, dataset: { messageId: message.id, status: message.status, direction: message.direction } },
    h('div', { class: `bubble${!message.text && message.attachments?.length && !message.deletedAt ? ' media-only' : ''}` }, bodyView(message), reactionsView(message)),
    meta,
    !outbound && !message.deletedAt
      ? h(
          'button',
          { type: 'button', class: 'react', 'aria-pressed': pageReaction ? 'true' : 'false', title: pageReaction ? 'Remove your reaction' : 'React with ❤', onclick: () => onReact(message, !pageReaction) },
          pageReaction ? '❤' : '♡',
        )
      : null,
  );
}

export function conversationItem(conversation, { selected, onOpen }) {
  const name = conversation.contact?.displayName || 'Unknown';
  return h(
    'li',
    { class: 'conversation-item', dataset: { conversationId: conversation.id, channel: conversation.channel } },
    h(
      'button',
      { type: 'button', 'aria-current': selected ? 'true' : 'false', onclick: () => onOpen(conversation.id) },
      conversation.contact?.avatarUrl ? h('img', { class: 'avatar', src: conversation.contact.avatarUrl, alt: '' }) : h('span', { class: 'avatar' }, name.slice(0, 1).toUpperCase()),
      h('span', { class: 'name' }, name),
      h('span', { class: `channel ${conversation.channel}` }, CHANNEL_LABEL[conversation.channel] ?? conversation.channel),
      h('time', { datetime: conversation.lastMessageAt }, timeOf(conversation.lastMessageAt)),
      conversation.unreadCount > 0 ? h('span', { class: 'unread', 'aria-label': `${conversation.unreadCount} unread` }, String(conversation.unreadCount)) : null,
    ),
  );
}
