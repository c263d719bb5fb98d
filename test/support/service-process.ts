import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiResponse, requestJson, RequestOptions, ServiceClient } from './http-client';
import { freePort } from '../../src/common/free-port';
import { waitUntil } from './eventually';

export { freePort, waitUntil };

const ROOT = join(__dirname, '..', '..');

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
