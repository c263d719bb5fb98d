// The 199 other sockets of the socket latency test, in a process of their own so they never
// delay the designated socket. Forked by bench/socket-latency.ts (IPC).
//
// Each is a socket.io connection over a bare WebSocket that only counts: it finds each
// `"externalId":"<MID_PREFIX><n>` in the bytes it receives and marks n seen, and answers
// engine.io's pings. It never decodes a frame or parses an event. This process shares the
// machine's two cores with the service, and 199 socket.io clients decoding every event took most
// of a core away from the service they were there to load (a real inbox runs on its user's
// machine). The measured socket is a stock socket.io client.
const net = require('node:net');
const { randomBytes } = require('node:crypto');

const base = new URL(process.env.BASE_URL);
const count = Number(process.env.SOCKETS || 0);
const total = Number(process.env.TOTAL);
const MARK = Buffer.from(`"externalId":"${process.env.MID_PREFIX}`);
/** engine.io's ping: an unmasked one-byte text frame "2". Control bytes never occur inside JSON text. */
const PING = Buffer.from([0x81, 0x01, 0x32]);
/** Enough of a chunk's end to find a mark (and its number) or a ping cut by the next chunk. */
const KEEP = MARK.length + 12;

/** A masked client text frame (payloads here are short). */
function frame(text) {
  const payload = Buffer.from(text);
  if (payload.length > 65535) throw new Error('frame too long');
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  return Buffer.concat([header, mask, payload.map((byte, i) => byte ^ mask[i % 4])]);
}

const PONG = frame('3');

function connect() {
  const seen = new Uint8Array(total);
  const farmSocket = { socket: undefined, distinct: 0 };
  const ready = new Promise((resolve, reject) => {
    const socket = net.connect(Number(base.port), base.hostname);
    farmSocket.socket = socket;
    socket.setNoDelay(true);
    socket.write(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${base.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let upgraded = false;
    let connected = false;
    let tail = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      let data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (!upgraded) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return void (tail = Buffer.from(data));
        if (!data.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) return reject(new Error(`no WebSocket: ${data.subarray(0, end)}`));
        upgraded = true;
        socket.write(frame(`40${JSON.stringify({ token: process.env.API_KEY })}`));
        data = data.subarray(end + 4);
      }
      if (!connected) {
        if (data.includes('44{')) return reject(new Error(`socket refused: ${data.toString('latin1')}`));
        if (data.includes('40{"sid"')) {
          connected = true;
          resolve();
        }
      }
      // A mark or a ping inside the kept tail is seen twice: marks are counted once, and a second pong does no harm.
      for (let at = data.indexOf(MARK); at >= 0; at = data.indexOf(MARK, at + MARK.length)) {
        let n = 0;
        let i = at + MARK.length;
        while (i < data.length && data[i] >= 0x30 && data[i] <= 0x39) n = n * 10 + data[i++] - 0x30;
        if (i === data.length) break; // the number goes on in the next chunk
        if (n < total && !seen[n]) {
          seen[n] = 1;
          farmSocket.distinct += 1;
        }
      }
      for (let at = data.indexOf(PING); at >= 0; at = data.indexOf(PING, at + 1)) socket.write(PONG);
      tail = Buffer.from(data.subarray(Math.max(0, data.length - KEEP)));
    });
  });
  return { farmSocket, ready };
}

function fail(error) {
  process.send({ type: 'error', error: String(error && error.message ? error.message : error) });
}

const sockets = Array.from({ length: count }, connect);
Promise.all(sockets.map((s) => s.ready)).then(() => process.send({ type: 'ready', connected: count }), fail);

process.on('message', (message) => {
  if (message.type === 'counts') {
    process.send({ type: 'counts', counts: sockets.map((s) => s.farmSocket.distinct) });
  } else if (message.type === 'stop') {
    for (const s of sockets) s.farmSocket.socket.destroy();
    process.exit(0);
  }
});
