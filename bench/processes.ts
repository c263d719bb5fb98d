import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { freePort } from '../src/common/free-port';

export { freePort };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, or the deadline passes. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ''}`);
    await sleep(everyMs);
  }
}

/**
 * A server under test in a process of its own (so it never shares an event loop with the
 * load generator). Its output goes straight to a log file, not through this process.
 */
export class ServerProcess {
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  static start(name: string, args: string[], options: { cwd: string; env: Record<string, string | undefined>; logFile: string }): ServerProcess {
    const fd = openSync(options.logFile, 'a');
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    return new ServerProcess(name, child, options.logFile);
  }

  log(tail = 3000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-tail);
    } catch {
      return '';
    }
  }

  /** The port announced as `listening <port>` in the log. */
  async announcedPort(timeoutMs = 60000): Promise<number> {
    return waitFor(
      async () => {
        if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}): ${this.log()}`);
        const match = this.log(100000).match(/^listening (\d+)$/m);
        return match ? Number(match[1]) : undefined;
      },
      timeoutMs,
      `${this.name} to listen`,
    ).catch((error) => {
      throw new Error(`${error.message}\n${this.log()}`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
}
