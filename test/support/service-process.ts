import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ApiResponse, requestJson, RequestOptions, ServiceClient } from './http-client';

const ROOT = join(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The built service (`node dist/src/main.js`, what `npm start` runs) as a child process,
 * for what only a real process shows: start-up on a bare data dir, signals, `kill -9`, logs.
 */
export class ServiceProcess implements ServiceClient {
  output = '';
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout!.on('data', (chunk) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(env: Record<string, string>): Promise<ServiceProcess> {
    const port = env.PORT ?? String(await freePort());
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...inherited, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env, PORT: port },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, `http://127.0.0.1:${port}`);
  }

  async healthy(timeoutMs = 60000): Promise<void> {
    await waitUntil(
      async () => {
        if (this.child.exitCode !== null) throw new Error(`service exited (${this.child.exitCode}):\n${this.output}`);
        const response = await fetch(`${this.baseUrl}/health`);
        return response.status === 200 ? true : undefined;
      },
      timeoutMs,
      `the service to answer /health:\n${this.output.slice(-2000)}`,
    ).catch((error) => {
      if (this.child.exitCode !== null) throw new Error(`service exited (${this.child.exitCode}):\n${this.output}`);
      throw error;
    });
  }

  request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return requestJson<T>(this.baseUrl, method, path, options);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exit(): Promise<number | null> {
    return this.exited;
  }
}
