import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { ApiResponse, requestJson, RequestOptions, ServiceClient } from './http-client';
import { createTestDatabase } from './test-database';

export type { ApiResponse, RequestOptions } from './http-client';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/**
 * The real service (the same `createApp` as `main.ts`) on a database of its own, listening
 * on a loopback port, with a small HTTP client and direct SQL access for assertions.
 */
export class TestApp implements ServiceClient {
  app: NestFastifyApplication;
  baseUrl: string;
  readonly db: Pool;

  private constructor(
    readonly config: AppConfig,
    readonly env: Record<string, string>,
  ) {
    this.db = new Pool({ connectionString: config.databaseUrl, max: 4 });
  }

  static async start(env: Record<string, string> = {}): Promise<TestApp> {
    const databaseUrl = env.DATABASE_URL ?? (await createTestDatabase());
    const fullEnv = {
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'meta-inbox-app-')),
      ADMIN_TOKEN,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
      WORKER_CONCURRENCY: '8',
      ...env,
      DATABASE_URL: databaseUrl,
    };
    const testApp = new TestApp(loadConfig(fullEnv), fullEnv);
    await testApp.boot();
    return testApp;
  }

  /** Stops the service and starts it again on the same database and DATA_DIR. */
  async restart(): Promise<void> {
    await this.app.close();
    await this.boot();
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.db.end();
  }

  request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return requestJson<T>(this.baseUrl, method, path, options);
  }

  /** Creates an organization through the admin route; returns its id and API key. */
  async createOrganization(name = 'Acme'): Promise<{ id: string; name: string; apiKey: string }> {
    const response = await this.request('POST', '/api/admin/organizations', { token: ADMIN_TOKEN, body: { name } });
    if (response.status !== 201) throw new Error(`creating an organization answered ${response.status}`);
    return response.body;
  }

  private async boot(): Promise<void> {
    this.app = await createApp(this.config);
    await this.app.listen(this.config.port, this.config.host);
    const address = this.app.getHttpServer().address() as { port: number };
    this.baseUrl = `http://127.0.0.1:${address.port}`;
  }
}
