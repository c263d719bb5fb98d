import { randomUUID } from 'node:crypto';
import { notifyPayloads, RealtimeEmission, split } from './realtime-bus.service';

describe('splitting a socket event batch into NOTIFY parts', () => {
  it("keeps every payload under Postgres' 8000-byte limit, whatever the text, and joins back to the same events", () => {
    const texts = ['Grüße 👋🏽 '.repeat(2000), '"\\'.repeat(6000), '\u0001'.repeat(6000), '語'.repeat(9000)];
    for (const text of texts) {
      const emissions: RealtimeEmission[] = [{ organizationId: randomUUID(), event: 'message.created', payload: { text }, source: { id: null, sequence: 0, type: null } }];
      const payloads = notifyPayloads(randomUUID(), randomUUID(), emissions);
      expect(payloads.length).toBeGreaterThan(1);
      for (const payload of payloads) expect(Buffer.byteLength(payload, 'utf8')).toBeLessThan(8000);
      const parts = payloads.map((payload) => JSON.parse(payload) as { i: number; n: number; data: string });
      expect(parts.map((part) => part.i)).toEqual(parts.map((_, i) => i));
      expect(JSON.parse(parts.map((part) => part.data).join(''))).toEqual(emissions);
    }
  });

  it('never cuts a surrogate pair in two, which would corrupt the emoji on the way', () => {
    for (let shift = 0; shift < 4; shift++) {
      const text = 'x'.repeat(shift) + '👋'.repeat(5000);
      for (const part of split(text)) {
        const last = part.charCodeAt(part.length - 1);
        expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
      }
      expect(split(text).join('')).toBe(text);
    }
  });

  it('sends a short batch as one part', () => {
    expect(split('{"a":1}')).toEqual(['{"a":1}']);
  });
});
