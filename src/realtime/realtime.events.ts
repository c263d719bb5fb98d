import type { CommentView } from '../comments/api/comment.view';
import type { ConversationView } from '../messaging/views/conversation.view';
import type { MessageView } from '../messaging/views/message.view';

/** What an organization's connection to Meta looks like (`GET /api/meta/connection/status`). */
export interface ConnectionStatusView {
  connected: boolean;
  status: 'active' | 'expired' | null;
  pageId: string | null;
  pageName: string | null;
  instagramAccountId: string | null;
  instagramUsername: string | null;
}

/** Every event pushed to the inbox, each carrying the whole record as REST shows it. */
export interface RealtimeEvents {
  'message.created': MessageView;
  'message.updated': MessageView;
  'conversation.updated': ConversationView;
  'connection.updated': ConnectionStatusView;
  'comment.created': CommentView;
  'comment.updated': CommentView;
}

export type RealtimeEventName = keyof RealtimeEvents;

/**
 * The second argument of every socket event: the log event it comes from, or for a socket event
 * with no log event of its own, the organization's latest one (`id`/`type` null and `sequence` 0
 * before the first). A reconnecting inbox resumes with `GET /api/events?after=<sequence>`.
 */
export interface RealtimeEventSource {
  id: string | null;
  sequence: number;
  type: string | null;
}

export const organizationRoom = (organizationId: string) => `org:${organizationId}`;
