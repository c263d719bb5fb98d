// The 199 other sockets of the socket latency test, in a process of their own so their
// decoding never delays the designated socket. Forked by bench/socket-latency.ts (IPC).
const { io } = require('socket.io-client');

const count = Number(process.env.SOCKETS || 0);
const sockets = [];
const seen = [];
let connected = 0;

function fail(error) {
  process.send({ type: 'error', error: String(error && error.message ? error.message : error) });
}

for (let i = 0; i < count; i++) {
  const mids = new Set();
  seen.push(mids);
  const socket = io(process.env.BASE_URL, { auth: { token: process.env.API_KEY }, transports: ['websocket'], reconnection: false, forceNew: true });
  socket.on('message.created', (message) => {
    if (message && message.externalId) mids.add(message.externalId);
  });
  socket.once('connect', () => {
    connected += 1;
    if (connected === count) process.send({ type: 'ready', connected });
  });
  socket.once('connect_error', fail);
  sockets.push(socket);
}
if (count === 0) process.send({ type: 'ready', connected: 0 });

process.on('message', (message) => {
  if (message.type === 'counts') {
    const counts = seen.map((mids) => {
      let n = 0;
      for (const mid of mids) if (mid.startsWith(message.prefix)) n += 1;
      return n;
    });
    process.send({ type: 'counts', counts });
  } else if (message.type === 'stop') {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
