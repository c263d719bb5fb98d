import type { Server, Socket } from 'socket.io';
import WebSocket from 'ws';
import { groupBy } from '../common/group-by';

/** ws' maker of a frame (public in ws, not in its type definitions), as socket.io's broadcasts use it. */
const { Sender } = WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean }): Buffer[] };
};

/** socket.io's packet type of an event (socket.io-parser's `PacketType.EVENT`). */
const EVENT_PACKET = 2;
/** engine.io's packet type of a message, which carries one socket.io packet. */
const ENGINE_MESSAGE = '4';

/** One socket event to the sockets of one room. */
export interface RoomEmission {
  room: string;
  event: string;
  args: unknown[];
}

/** What this needs of an engine.io socket and its transport. */
interface EngineConnection {
  readyState: string;
  upgrading?: boolean;
  transport: { name: string; perMessageDeflate?: unknown; socket?: { _sender?: { sendFrame?: unknown } } };
  write(data: string, options: { wsPreEncodedFrame: Buffer[] }): void;
}

/**
 * Emits a batch of socket events, in order, so that the work per socket is one write per batch,
 * not a packet per event.
 *
 * socket.io broadcasts each event to each socket of its room as a packet of its own: at 500
 * messages a second with two events each and 200 sockets in the room, 200,000 packets a second,
 * each queued, flushed and framed for its socket, and the process spent its time in that and in
 * the garbage it left. Here the WebSocket frames of a room's events are made once per batch, as
 * socket.io makes one event's frame once for all sockets, and put together in one buffer; every
 * socket of the room on WebSocket gets that buffer as one engine.io packet whose pre-made frame it
 * is (engine.io writes such a frame as it is, as it does for socket.io's broadcasts). On the wire
 * nothing changes: the same frames, one per event, in the same order.
 *
 * A socket still on long-polling, or in the middle of its upgrade, gets each event as socket.io
 * emits it (its transport cannot take pre-made frames). So does every socket of a room when an
 * event cannot go as one text frame (binary data, which the service never sends).
 *
 * `emitOne` emits one event to one socket that way; its failure is the caller's to report.
 */
export function emitInFrames(server: Server, emissions: readonly RoomEmission[], emitOne: (socket: Socket, emission: RoomEmission) => void): void {
  const namespace = server.of('/');
  for (const [room, events] of groupBy(emissions, (emission) => emission.room)) {
    const ids = namespace.adapter.rooms.get(room);
    if (!ids) continue;
    const framed: Socket[] = [];
    const others: Socket[] = [];
    for (const id of ids) {
      const socket = namespace.sockets.get(id);
      if (socket) (takesFrames(socket.conn as unknown as EngineConnection) ? framed : others).push(socket);
    }
    const frames = framed.length > 0 ? framesOf(server, events) : null;
    if (frames) {
      for (const socket of framed) (socket.conn as unknown as EngineConnection).write('', { wsPreEncodedFrame: [frames] });
    } else {
      others.push(...framed);
    }
    for (const socket of others) for (const event of events) emitOne(socket, event);
  }
}

/**
 * Whether engine.io would write a pre-made frame of this connection as it is: open, on WebSocket
 * (a connection never goes back to polling) and not between transports, without per-message
 * compression (the frames are not compressed), and over ws' sender.
 */
function takesFrames(connection: EngineConnection): boolean {
  const { transport } = connection;
  return (
    connection.readyState === 'open' &&
    !connection.upgrading &&
    transport.name === 'websocket' &&
    !transport.perMessageDeflate &&
    typeof transport.socket?._sender?.sendFrame === 'function'
  );
}

/**
 * The WebSocket frames of the events, one text frame each as socket.io would send it (its packet
 * encoded by the server's encoder, as an engine.io message), in one buffer; null when an event
 * does not encode as one text packet.
 */
export function framesOf(server: Server, events: readonly RoomEmission[]): Buffer | null {
  const chunks: Buffer[] = [];
  for (const { event, args } of events) {
    const encoded: unknown[] = server.encoder.encode({ type: EVENT_PACKET, nsp: '/', data: [event, ...args] });
    if (encoded.length !== 1 || typeof encoded[0] !== 'string') return null;
    const frame = Sender.frame(Buffer.from(ENGINE_MESSAGE + encoded[0]), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
    chunks.push(...frame);
  }
  return Buffer.concat(chunks);
}
