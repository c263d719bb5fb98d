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
}

export type RealtimeEventName = keyof RealtimeEvents;

export const organizationRoom = (organizationId: string) => `org:${organizationId}`;
