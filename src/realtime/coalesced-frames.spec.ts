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
  coalesceFrames({ engine } as unknown as Server);
  return engine;
}

describe('coalesced WebSocket frames', () => {
  it('cork the TCP socket around each send, so one flush is one write, frames in order', () => {
    const engine = engineWith();
    const { transport, calls } = transportOver('websocket');
    engine.emit('connection', Object.assign(new EventEmitter(), { transport }));
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
    engine.emit('connection', Object.assign(new EventEmitter(), { transport }));
    expect(() => transport.send(['a'])).toThrow('socket gone');
    expect(calls).toEqual(['cork', 'uncork']);
  });

  it('take in the WebSocket transport a polling connection upgrades to', () => {
    const engine = engineWith();
    const polling = transportOver('polling');
    const socket = Object.assign(new EventEmitter(), { transport: polling.transport });
    engine.emit('connection', socket);
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
    engine.emit('connection', Object.assign(new EventEmitter(), { transport }));
    expect(transport.send).toBe(send);
  });
});
