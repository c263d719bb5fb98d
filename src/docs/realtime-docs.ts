import { CommentView } from '../comments/api/comment.view';
import { ConversationView } from '../messaging/views/conversation.view';
import { MessageView } from '../messaging/views/message.view';
import { ConnectionStatusDocView, RealtimeEventSourceDocView } from '../realtime/connection-status.view';
import type { RealtimeEventName, RealtimeEvents } from '../realtime/realtime.events';

type PayloadClass<E extends RealtimeEventName> = new (...args: never[]) => RealtimeEvents[E];

/**
 * Each socket event with the class /docs describes its payload with. Keyed by the gateway's own
 * event map, so an event added there does not compile until it is documented here.
 */
export const REALTIME_EVENT_DOCS: { [E in RealtimeEventName]: { payload: PayloadClass<E>; when: string } } = {
  'message.created': { payload: MessageView, when: 'a message is stored: inbound, an echo, or an outbound record accepted as `pending`' },
  'message.updated': { payload: MessageView, when: 'a message changes: status, receipts, reactions, edits, unsends' },
  'conversation.updated': { payload: ConversationView, when: 'a conversation changes: new activity, unread count' },
  'connection.updated': { payload: ConnectionStatusDocView, when: 'the Meta connection connects, expires or is disconnected' },
  'comment.created': { payload: CommentView, when: 'a new comment on a connected Page post or Instagram media' },
  'comment.updated': { payload: CommentView, when: 'a comment changes: edited, hidden, removed, a reply or private reply' },
};

export const REALTIME_SCHEMAS = [...new Set(Object.values(REALTIME_EVENT_DOCS).map(({ payload }) => payload)), RealtimeEventSourceDocView];

/** The "Realtime events" section of /docs, in Markdown. */
export function realtimeEventsMarkdown(): string {
  const rows = Object.entries(REALTIME_EVENT_DOCS).map(([event, { payload, when }]) => `| \`${event}\` | ${when} | \`${payload.name}\` |`);
  return [
    '## Realtime events (socket.io)',
    '',
    'Connect socket.io to the service\'s own URL (default path `/socket.io`) with `auth: { token: "<api key>" }`;',
    'a handshake without a valid key is refused with `unauthorized`. Each socket joins its organization',
    'and receives every event below as `(payload, source)`: the payload is the whole record as the REST',
    `routes show it (schemas below), and \`source\` (\`${RealtimeEventSourceDocView.name}\`) names the log event it comes from,`,
    'so a reconnecting inbox resumes with `GET /api/events?after=<sequence>`. Clients send nothing.',
    '',
    '| event | when | payload schema |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The same list for programs: event name → payload schema (the `x-realtime-events` extension). */
export function realtimeEventsExtension(): Record<string, { description: string; payload: { $ref: string }; source: { $ref: string } }> {
  return Object.fromEntries(
    Object.entries(REALTIME_EVENT_DOCS).map(([event, { payload, when }]) => [
      event,
      { description: when, payload: { $ref: `#/components/schemas/${payload.name}` }, source: { $ref: `#/components/schemas/${RealtimeEventSourceDocView.name}` } },
    ]),
  );
}
