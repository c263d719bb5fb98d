import { createServer, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, Socket as ServerSocket } from 'socket.io';
import { io, Socket } from 'socket.io-client';
import { emitInFrames, framesOf, RoomEmission } from './batch-frames';

interface Client {
  socket: Socket;
  received: unknown[][];
}

describe('socket events emitted in frames made once per batch', () => {
  let http: HttpServer;
  let server: Server;
  let url: string;
  const clients: Client[] = [];
  const emittedOneByOne: string[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http);
    server.on('connection', (socket) => void socket.join(String(socket.handshake.auth.room)));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    for (const { socket } of clients.splice(0)) socket.close();
    emittedOneByOne.splice(0);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A client in `room`, on the transports given, once the server has it in the room (and, for WebSocket, once upgraded). */
  async function connect(room: string, transports: ('websocket' | 'polling')[]): Promise<Client> {
    const socket = io(url, { auth: { room }, transports, forceNew: true, reconnection: false });
    const client = { socket, received: [] as unknown[][] };
    socket.onAny((...args: unknown[]) => client.received.push(args));
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return client;
  }

  function emit(emissions: RoomEmission[]): void {
    emitInFrames(server, emissions, (socket: ServerSocket, { event, args }) => {
      emittedOneByOne.push(`${socket.id} ${event}`);
      socket.emit(event, ...args);
    });
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(check()).toBe(true);
  }

  // Frames of all three sizes of WebSocket length header (7 bits, 16 bits, 64 bits).
  const long = 'é'.repeat(40_000);
  const batch: RoomEmission[] = [
    { room: 'org:a', event: 'message.created', args: [{ id: 1, text: 'short' }, { id: 'e1', sequence: 1, type: null }] },
    { room: 'org:b', event: 'message.created', args: [{ id: 2, text: 'other room' }, { id: null, sequence: 0, type: null }] },
    { room: 'org:a', event: 'conversation.updated', args: [{ id: 3, text: 'x'.repeat(300) }, { id: 'e2', sequence: 2, type: 'message.received' }] },
    { room: 'org:a', event: 'message.updated', args: [{ id: 4, text: long }, { id: 'e3', sequence: 3, type: 'message.edited' }] },
  ];
  const roomA = batch.filter((e) => e.room === 'org:a').map((e) => [e.event, ...e.args]);

  it("give each WebSocket client its room's events in order, as one write of frames made once", async () => {
    const one = await connect('org:a', ['websocket']);
    const two = await connect('org:a', ['websocket']);
    const other = await connect('org:b', ['websocket']);
    emit(batch);
    await until(() => one.received.length === 3 && two.received.length === 3 && other.received.length === 1);
    expect(one.received).toEqual(roomA);
    expect(two.received).toEqual(roomA);
    expect(other.received).toEqual([['message.created', { id: 2, text: 'other room' }, { id: null, sequence: 0, type: null }]]);
    expect(emittedOneByOne).toEqual([]);
  });

  it('give a long-polling client each event as socket.io emits it, beside WebSocket clients of its room', async () => {
    const polling = await connect('org:a', ['polling']);
    const websocket = await connect('org:a', ['websocket']);
    emit(batch);
    await until(() => polling.received.length === 3 && websocket.received.length === 3);
    expect(polling.received).toEqual(roomA);
    expect(websocket.received).toEqual(roomA);
    expect(emittedOneByOne).toEqual([`${serverIdOf(polling)} message.created`, `${serverIdOf(polling)} conversation.updated`, `${serverIdOf(polling)} message.updated`]);
  });

  it('keep the order of batches and of events socket.io sends between them', async () => {
    const client = await connect('org:a', ['websocket']);
    emit(batch.slice(0, 1));
    server.to('org:a').emit('connection.updated', { connected: true });
    emit(batch.slice(2));
    await until(() => client.received.length === 4);
    expect(client.received.map(([event]) => event)).toEqual(['message.created', 'connection.updated', 'conversation.updated', 'message.updated']);
  });

  it('make no frames for an event that would not go as one text frame', () => {
    expect(framesOf(server, [{ room: 'org:a', event: 'file', args: [Buffer.from('binary')] }])).toBeNull();
    expect(framesOf(server, batch)).toBeInstanceOf(Buffer);
  });

  /** The server's id of a client's socket (the same id on both ends in socket.io 4). */
  function serverIdOf(client: Client): string {
    return client.socket.id!;
  }
});
