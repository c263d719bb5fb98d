import type { ConnectionStatusView, RealtimeEventName, RealtimeEvents } from '../realtime/realtime.events';
import type { MessageView } from '../messaging/views/message.view';
import type { CommentView } from '../comments/api/comment.view';

/** What each log event type carries as `data.object` (the record as REST shows it). */
export interface DomainEventObjects {
  'message.received': MessageView;
  'message.sent': MessageView;
  'message.delivered': MessageView;
  'message.read': MessageView;
  'message.failed': MessageView;
  'message.edited': MessageView;
  'message.deleted': MessageView;
  'reaction.received': MessageView;
  'connection.updated': ConnectionStatusView;
  'comment.received': CommentView;
}

export type DomainEventType = keyof DomainEventObjects;

export const DOMAIN_EVENT_TYPES: readonly DomainEventType[] = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.edited',
  'message.deleted',
  'reaction.received',
  'connection.updated',
  'comment.received',
];

/** The envelope every way out shows: `GET /api/events`, integrator webhooks. */
export interface DomainEventEnvelope<T extends DomainEventType = DomainEventType> {
  id: string;
  sequence: number;
  type: T;
  createdAt: string;
  organizationId: string;
  data: { object: DomainEventObjects[T] };
}

/**
 * One socket.io event. `payload` left out means the log event's own `data.object` (stored once).
 */
export type RealtimeEmission = { [E in RealtimeEventName]: { event: E; payload?: RealtimeEvents[E] } }[RealtimeEventName];

/**
 * What a transaction records in the outbox: a log event with the socket events it causes, or
 * socket events alone (a change no integrator is told about: a `pending` record, an unread count).
 */
export type OutboxEntry =
  | { [T in DomainEventType]: { type: T; object: DomainEventObjects[T]; realtime?: RealtimeEmission[] } }[DomainEventType]
  | { type: null; realtime: RealtimeEmission[] };
