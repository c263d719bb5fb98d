import { EventEmitter } from 'node:events';
import type { Server } from 'socket.io';
import { coalesceFrames } from './coalesced-frames';

/** A TCP socket that records what happens to it, and a transport that writes one frame per packet to it. */
function transportOver(name: string, withTcp = true) {
  const calls: string[] = [];
  const tcp = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork'), write: (frame: string) => calls.push(`write ${frame}`) };
  const transport = {
    name,
    socket: withTcp ? { _socket: tcp } : {},
    send(packets: unknown[]) {
      for (const packet of packets) tcp.write(String(packet));
    },
  };
  return { transport, calls };
}

function engineWith() {
  const engine = new EventEmitter();
  const inOneWrite = coalesceFrames({ engine } as unknown as Server);
  return Object.assign(engine, { inOneWrite });
}

/** An engine.io socket as far as holding goes: packets written flush at once, unless held. */
function engineSocket(engine: EventEmitter, transport: unknown) {
  const flushed: string[][] = [];
  const socket = Object.assign(new EventEmitter(), {
    transport,
    writeBuffer: [] as string[],
    flush() {
      if (socket.writeBuffer.length === 0) return;
      flushed.push(socket.writeBuffer);
      socket.writeBuffer = [];
    },
    write(packet: string) {
      socket.writeBuffer.push(packet);
      socket.flush();
    },
  });
  engine.emit('connection', socket);
  return { socket, flushed };
}

describe('coalesced WebSocket frames', () => {
  it('cork the TCP socket around each send, so one flush is one write, frames in order', () => {
    const engine = engineWith();
    const { transport, calls } = transportOver('websocket');
    engineSocket(engine, transport);
    transport.send(['a', 'b', 'c']);
    transport.send(['d']);
    expect(calls).toEqual(['cork', 'write a', 'write b', 'write c', 'uncork', 'cork', 'write d', 'uncork']);
  });

  it('uncork even when a send throws', () => {
    const engine = engineWith();
    const { transport, calls } = transportOver('websocket');
    transport.send = () => {
      throw new Error('socket gone');
    };
    engineSocket(engine, transport);
    expect(() => transport.send(['a'])).toThrow('socket gone');
    expect(calls).toEqual(['cork', 'uncork']);
  });

  it('take in the WebSocket transport a polling connection upgrades to', () => {
    const engine = engineWith();
    const polling = transportOver('polling');
    const { socket } = engineSocket(engine, polling.transport);
    polling.transport.send(['p']);
    expect(polling.calls).toEqual(['write p']);

    const upgraded = transportOver('websocket');
    socket.emit('upgrade', upgraded.transport);
    upgraded.transport.send(['w']);
    expect(upgraded.calls).toEqual(['cork', 'write w', 'uncork']);
  });

  it('leave a WebSocket transport without a TCP socket where ws keeps it as it is', () => {
    const engine = engineWith();
    const { transport } = transportOver('websocket', false);
    const send = transport.send;
    engineSocket(engine, transport);
    expect(transport.send).toBe(send);
  });

  it("hold every socket's packets while a batch is emitted, then flush each socket once, in order", () => {
    const engine = engineWith();
    const one = engineSocket(engine, transportOver('websocket').transport);
    const two = engineSocket(engine, transportOver('polling').transport);
    engine.inOneWrite(() => {
      for (const packet of ['a', 'b', 'c']) {
        one.socket.write(packet);
        two.socket.write(packet);
      }
      expect(one.flushed).toEqual([]);
    });
    expect(one.flushed).toEqual([['a', 'b', 'c']]);
    expect(two.flushed).toEqual([['a', 'b', 'c']]);
    one.socket.write('d');
    expect(one.flushed).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it("flush once when batches nest, and the batch's sockets even when an emit throws", () => {
    const engine = engineWith();
    const { socket, flushed } = engineSocket(engine, transportOver('websocket').transport);
    expect(() =>
      engine.inOneWrite(() => {
        socket.write('a');
        engine.inOneWrite(() => socket.write('b'));
        expect(flushed).toEqual([]);
        throw new Error('emit failed');
      }),
    ).toThrow('emit failed');
    expect(flushed).toEqual([['a', 'b']]);
  });

  it('forget a closed socket that held packets', () => {
    const engine = engineWith();
    const { socket, flushed } = engineSocket(engine, transportOver('websocket').transport);
    engine.inOneWrite(() => {
      socket.write('a');
      socket.emit('close');
    });
    expect(flushed).toEqual([]);
  });
});
