import { assertUnreachable } from '../../../common/assert-unreachable';
import type { CommentChange } from '../../../comments/comment-change';
import { MessageChannel } from '../../../messaging/message-channel';
import type { RawChange, WebhookBody } from '../types/webhook.types';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const idOf = (value: unknown): string | null => (typeof value === 'number' ? String(value) : str(value));

/** Meta sends seconds in `changes` (`created_time`, Instagram's `entry.time`) and ms elsewhere. */
function millis(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return null;
  return value < 1e12 ? value * 1000 : value;
}

/** One `changes[]` entry of a delivery, with what the entry around it says. */
export interface EntryChange {
  change: RawChange;
  /** `entry.time`, as Meta sent it. */
  entryTime: number | null;
}

/** The comment changes of one post (or media) from one delivery, in Meta's order. */
export interface CommentChanges {
  channel: MessageChannel;
  accountId: string;
  receivedAt: number;
  changes: EntryChange[];
}

export type MappedCommentChange = CommentChange | { type: 'ignored'; reason: string };

/** Page `feed` with `item: comment` → its verb; Instagram `comments` (and `live_comments`) → a new comment. */
export function mapCommentChange(channel: MessageChannel, accountId: string, { change, entryTime }: EntryChange, receivedAt: number): MappedCommentChange {
  const value = change.value;
  if (!isObject(value)) return { type: 'ignored', reason: `change "${change.field}" without a value` };
  switch (channel) {
    case MessageChannel.FacebookMessenger:
      return change.field === 'feed' ? mapFeed(value, accountId, receivedAt) : { type: 'ignored', reason: `Page field "${change.field}"` };
    case MessageChannel.InstagramDm:
      return change.field === 'comments' || change.field === 'live_comments'
        ? mapInstagram(value, accountId, millis(entryTime) ?? receivedAt)
        : { type: 'ignored', reason: `Instagram field "${change.field}"` };
    default:
      return assertUnreachable(channel);
  }
}

function mapFeed(value: Record<string, unknown>, pageId: string, receivedAt: number): MappedCommentChange {
  if (value.item !== 'comment') return { type: 'ignored', reason: `feed item "${String(value.item)}"` };
  const externalId = idOf(value.comment_id);
  if (!externalId) return { type: 'ignored', reason: 'feed comment without comment_id' };
  const at = millis(value.created_time) ?? receivedAt;
  switch (value.verb) {
    case 'add':
    case 'edited': {
      const postId = idOf(value.post_id);
      const parent = idOf(value.parent_id);
      const from = isObject(value.from) ? value.from : {};
      const authorId = idOf(from.id);
      return {
        type: value.verb === 'add' ? 'added' : 'edited',
        externalId,
        postId,
        // A comment on the post names the post as its parent; only a reply names a comment.
        parentExternalId: parent && parent !== postId ? parent : null,
        text: typeof value.message === 'string' ? value.message : null,
        author: { externalId: authorId, name: str(from.name), username: null },
        byAccount: authorId === pageId,
        at,
      };
    }
    case 'remove':
      return { type: 'removed', externalId, at };
    case 'hide':
    case 'unhide':
      return { type: 'visibility', externalId, hidden: value.verb === 'hide', at };
    default:
      return { type: 'ignored', reason: `feed comment verb "${String(value.verb)}"` };
  }
}

function mapInstagram(value: Record<string, unknown>, accountId: string, at: number): MappedCommentChange {
  const externalId = idOf(value.id);
  if (!externalId) return { type: 'ignored', reason: 'Instagram comment without id' };
  const from = isObject(value.from) ? value.from : {};
  const media = isObject(value.media) ? value.media : {};
  const authorId = idOf(from.id);
  return {
    type: 'added',
    externalId,
    postId: idOf(media.id),
    parentExternalId: idOf(value.parent_id),
    text: typeof value.text === 'string' ? value.text : null,
    author: { externalId: authorId, name: null, username: str(from.username) },
    byAccount: authorId === accountId,
    at,
  };
}

/** The post (or media) a change is about: its changes apply one at a time, in Meta's order. */
function threadOf(change: RawChange): string {
  const value = isObject(change.value) ? change.value : {};
  const media = isObject(value.media) ? value.media : {};
  return idOf(value.post_id) ?? idOf(media.id) ?? idOf(value.media_id) ?? idOf(value.comment_id) ?? idOf(value.id) ?? 'unknown';
}

/** The inbound queue's lane of a post's changes (`<account>:<post>`). */
export const commentsLaneOf = (thread: string): string => `meta:comments:${thread}`;

/**
 * The `changes[]` of a verified delivery, grouped by post, without looking anything up, so the
 * webhook stores them as jobs in the same statement as its messages.
 */
export function splitChanges(body: WebhookBody, channel: MessageChannel, receivedAt: number): { lane: string; payload: CommentChanges }[] {
  const byThread = new Map<string, CommentChanges>();
  for (const entry of body.entry) {
    const accountId = idOf(entry.id);
    if (!accountId || !Array.isArray(entry.changes)) continue;
    for (const change of entry.changes) {
      if (!isObject(change)) continue;
      const thread = `${accountId}:${threadOf(change as RawChange)}`;
      const batch = byThread.get(thread) ?? { channel, accountId, receivedAt, changes: [] };
      batch.changes.push({ change: change as RawChange, entryTime: typeof entry.time === 'number' ? entry.time : null });
      byThread.set(thread, batch);
    }
  }
  return [...byThread].map(([thread, payload]) => ({ lane: commentsLaneOf(thread), payload }));
}
