import type { Server } from 'socket.io';

/** What this needs of an engine.io transport: its name, its `send`, and (WebSocket) the ws socket over TCP. */
interface EngineTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: { cork?: () => void; uncork?: () => void } };
}

interface EngineSocket {
  transport: EngineTransport;
  flush(): void;
  on(event: 'upgrade', listener: (transport: EngineTransport) => void): void;
  on(event: 'close', listener: () => void): void;
}

/** Runs a batch of emissions so that each socket writes the batch once. */
export type InOneWrite = (emit: () => void) => void;

/**
 * One write per socket for each batch of socket events, instead of one per event.
 *
 * engine.io's WebSocket transport sends each packet of a flush as a frame of its own, and each
 * frame is a write (a syscall) on the TCP socket. With 200 sockets of one organization and two
 * socket events per inbound message, that was 200,000 writes a second at 500 messages a second,
 * and the process spent most of its time in them. Two things make it one write:
 *
 * - Corking the TCP socket for the length of one `send` hands the kernel every frame of a flush
 *   in one write. A transport without the TCP socket where ws keeps it is left as it is.
 * - A socket flushes each packet as it is emitted while its transport is free, so a batch of
 *   events went out as its first event, then the rest once that write drained. Within the
 *   returned `inOneWrite(emit)`, sockets hold their packets and flush once when `emit` returns.
 *
 * Frames, their order and their bytes are unchanged.
 */
export function coalesceFrames(server: Server): InOneWrite {
  let holding = false;
  const held = new Set<EngineSocket>();
  server.engine.on('connection', (socket: EngineSocket) => {
    corkEachSend(socket.transport);
    socket.on('upgrade', (transport) => corkEachSend(transport));
    const flush = socket.flush.bind(socket);
    socket.flush = () => (holding ? void held.add(socket) : flush());
    socket.on('close', () => held.delete(socket));
  });
  return (emit) => {
    if (holding) return emit();
    holding = true;
    try {
      emit();
    } finally {
      holding = false;
      const sockets = [...held];
      held.clear();
      for (const socket of sockets) socket.flush();
    }
  };
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
