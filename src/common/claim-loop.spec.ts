import type { Logger } from '@nestjs/common';
import { ClaimLoop } from './claim-loop';

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = { log: (m: string) => lines.push(`log ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } as unknown as Logger;
  return { logger, lines };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ClaimLoop', () => {
  it('logs a failing claim once per reason, and its recovery once', async () => {
    const { logger, lines } = recordingLogger();
    const outcomes = ['down', 'down', 'down', 'other', null, null];
    const claim = async () => {
      const reason = outcomes.shift();
      if (reason) throw new Error(reason);
    };
    const loop = new ClaimLoop({ what: 'rows', logger, pollMs: 60_000, claim });
    for (let i = 0; i < 6; i++) {
      loop.wake();
      await settle();
      await settle();
    }
    expect(lines).toEqual([
      'warn claiming rows failed, trying again at every poll: down',
      'warn claiming rows failed, trying again at every poll: other',
      'log claiming rows works again',
    ]);
    await loop.stop();
  });

  it('claims again when tracked work ends, and stop waits for the work and claims no more', async () => {
    const { logger } = recordingLogger();
    let claims = 0;
    let finish!: () => void;
    const claim = async () => {
      claims++;
      if (claims === 1) loop.track(new Promise<void>((resolve) => (finish = resolve)));
    };
    const loop: ClaimLoop = new ClaimLoop({ what: 'rows', logger, pollMs: 60_000, claim });
    loop.wake();
    await settle();
    expect(loop.running).toBe(1);
    finish();
    await settle();
    await settle();
    expect(claims).toBe(2);
    expect(loop.running).toBe(0);

    loop.track(new Promise<void>((_, reject) => setTimeout(() => reject(new Error('its own')), 20)));
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    await stopping;
    expect(loop.running).toBe(0);
    loop.wake();
    await settle();
    expect(claims).toBe(2);
  });
});
