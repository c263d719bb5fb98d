import type { Server } from 'socket.io';

/** What this needs of an engine.io transport: its name, its `send`, and (WebSocket) the ws socket over TCP. */
interface EngineTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: { cork?: () => void; uncork?: () => void } };
}

interface EngineSocket {
  transport: EngineTransport;
  on(event: 'upgrade', listener: (transport: EngineTransport) => void): void;
}

/**
 * One write per socket for each batch engine.io flushes, instead of one per packet.
 *
 * engine.io's WebSocket transport sends each packet of a flush as a frame of its own, and each
 * frame is a write (a syscall) on the TCP socket. With 200 sockets of one organization and two
 * socket events per inbound message, that was 200,000 writes a second at 500 messages a second,
 * and the process spent most of its time in them. Corking the TCP socket for the length of one
 * `send` hands the kernel every frame of the flush in one write. Frames, their order and their
 * bytes are unchanged. A transport without the TCP socket where ws keeps it is left as it is.
 */
export function coalesceFrames(server: Server): void {
  server.engine.on('connection', (socket: EngineSocket) => {
    corkEachSend(socket.transport);
    socket.on('upgrade', (transport) => corkEachSend(transport));
  });
}

function corkEachSend(transport: EngineTransport): void {
  const tcp = transport.name === 'websocket' ? transport.socket?._socket : undefined;
  if (typeof tcp?.cork !== 'function' || typeof tcp.uncork !== 'function') return;
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    tcp.cork!();
    try {
      send(packets);
    } finally {
      tcp.uncork!();
    }
  };
}
