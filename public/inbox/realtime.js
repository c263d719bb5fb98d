import { io } from '/socket.io/socket.io.esm.min.js';

const EVENTS = ['message.created', 'message.updated', 'conversation.updated', 'connection.updated', 'comment.created', 'comment.updated'];

/**
 * The live feed. Every event carries the whole record, and (where the service keeps an event
 * log) a second argument `{id, sequence, type}`; the highest sequence seen is where a
 * reconnecting inbox resumes. `onResume` runs after every reconnection.
 */
export function connectRealtime(token, { onEvent, onStatus, onResume, onRefused }) {
  const socket = io({ auth: { token }, transports: ['websocket', 'polling'] });
  let connectedBefore = false;

  for (const name of EVENTS) socket.on(name, (record, meta) => onEvent(name, record, meta));
  socket.on('connect', () => {
    onStatus('live');
    if (connectedBefore) onResume();
    connectedBefore = true;
  });
  socket.on('disconnect', (reason) => {
    onStatus('offline');
    // The server closed it: the token expired (or was refused). Anything else reconnects by itself.
    if (reason === 'io server disconnect') onRefused();
  });
  socket.on('connect_error', (error) => {
    onStatus('offline');
    if (error.message === 'unauthorized') {
      socket.close();
      onRefused();
    }
  });
  return socket;
}
