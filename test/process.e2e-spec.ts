import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { ServiceProcess, waitUntil } from './support/service-process';
import { createTestDatabase } from './support/test-database';

/** The service as `npm start` runs it: its own PostgreSQL under DATA_DIR, real signals. */
describe('the service process on a bare data directory', () => {
  const running: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of running) {
      if (service.child.exitCode === null) {
        service.kill('SIGTERM');
        await service.exit();
      }
    }
  });

  const start = async (env: Record<string, string>) => {
    const service = await ServiceProcess.start(env);
    running.push(service);
    await service.healthy();
    return service;
  };

  // A private parent folder (0700), as a clone under /root would have.
  const parent = mkdtempSync(join(tmpdir(), 'meta-inbox-private-'));
  chmodSync(parent, 0o700);
  const dataDir = join(parent, 'data');
  let adminToken: string;

  it('starts its own PostgreSQL, generates the admin token once and writes it with mode 0600', async () => {
    const service = await start({ DATA_DIR: dataDir });
    const file = join(dataDir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    adminToken = readFileSync(file, 'utf8').trim();
    expect(service.output.split(adminToken).length - 1).toBe(1);
    expect(service.output).toContain('"database":"embedded"');
    expect(service.output).toContain(`"msg":"listening on ${service.baseUrl}"`);
    const created = await fetch(`${service.baseUrl}/api/admin/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Kept' }),
    });
    expect(created.status).toBe(201);
    if (userInfo().uid === 0) expect(statSync(parent).mode & 0o001).toBe(0o001);
    service.kill('SIGTERM');
    expect(await service.exit()).toBe(0);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('starts again after kill -9 left its PostgreSQL running, with the data and token kept', async () => {
    const first = await start({ DATA_DIR: dataDir });
    const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
    const strandedPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    first.kill('SIGKILL');
    await first.exit();
    expect(() => process.kill(strandedPid, 0)).not.toThrow();

    const second = await start({ DATA_DIR: dataDir });
    expect(second.output).toContain('left running');
    const config = await fetch(`${second.baseUrl}/api/admin/system-config`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(config.status).toBe(200);
    expect(second.output).not.toContain(adminToken);
    second.kill('SIGINT');
    expect(await second.exit()).toBe(0);
    await waitUntil(async () => (isAlive(strandedPid) ? undefined : true), 10000, 'the stranded server to stop');
  });

  it('keeps the admin token of DATA_DIR/admin-token working across restarts, printed only the first time', async () => {
    const dir = join(parent, 'token-restarts');
    const file = join(dir, 'admin-token');
    // A start that cannot write the file stores no hash, so the next start generates the token.
    mkdirSync(file, { recursive: true });
    const refused = await ServiceProcess.start({ DATA_DIR: dir });
    running.push(refused);
    expect(await refused.exit()).toBe(1);
    rmSync(file, { recursive: true });

    let token: string | undefined;
    for (let round = 0; round < 3; round++) {
      const service = await start({ DATA_DIR: dir });
      const fileToken = readFileSync(file, 'utf8').trim();
      token ??= fileToken;
      expect(fileToken).toBe(token);
      expect(service.output.includes('admin token generated (shown once')).toBe(round === 0);
      const config = await fetch(`${service.baseUrl}/api/admin/system-config`, { headers: { authorization: `Bearer ${fileToken}` } });
      expect(config.status).toBe(200);
      service.kill('SIGTERM');
      expect(await service.exit()).toBe(0);
    }
  });

  it('refuses a bad setting at start-up with a message naming it', async () => {
    const service = await ServiceProcess.start({ DATA_DIR: dataDir, LOG_LEVEL: 'chatty' });
    running.push(service);
    expect(await service.exit()).toBe(1);
    expect(service.output).toContain('LOG_LEVEL');
  });

  it('never writes credentials, tokens or signatures to its logs', async () => {
    const logDir = join(parent, 'logs');
    mkdirSync(logDir);
    const admin = 'admin-token-that-must-not-be-logged-123';
    const service = await start({ DATA_DIR: logDir, ADMIN_TOKEN: admin, LOG_LEVEL: 'debug' });
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${service.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const org = (await (await post("/api/admin/organizations", { name: "Logs" }, { authorization: `Bearer ${admin}` })).json()) as { apiKey: string };
    await fetch(`${service.baseUrl}/api/admin/system-config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ meta_messaging_app_id: '42', meta_messaging_app_secret: 'app-secret-not-for-logs', meta_messaging_verify_token: 'verify-not-for-logs' }),
    });
    await fetch(`${service.baseUrl}/api/conversations`, { headers: { authorization: `Bearer ${org.apiKey}` } });
    await post('/api/meta/webhook', { object: 'page', entry: [] }, { 'x-hub-signature-256': 'sha256=signature-not-for-logs' });
    await fetch(`${service.baseUrl}/api/meta/webhook?hub.mode=subscribe&hub.verify_token=verify-not-for-logs&hub.challenge=c`);
    await fetch(`${service.baseUrl}/files/abc?expires=1&signature=file-signature-not-for-logs`);
    await waitUntil(async () => (service.output.includes('/files/abc') ? true : undefined), 5000, 'the request log');
    service.kill('SIGTERM');
    await service.exit();
    for (const secret of [admin, org.apiKey, 'app-secret-not-for-logs', 'verify-not-for-logs', 'signature-not-for-logs', 'file-signature-not-for-logs']) {
      expect(service.output).not.toContain(secret);
    }
    expect(service.output).toContain('"req":{"id":');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** ENCRYPTION_KEY against what a database already holds, as the built service checks it at start. */
describe('the service process with an ENCRYPTION_KEY that does not match its database', () => {
  const KEY_A = 'a'.repeat(64);
  const KEY_B = 'b'.repeat(64);
  const ADMIN = 'encryption-check-admin-token';
  let databaseUrl: string;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
  });
  afterAll(async () => {
    for (const service of running) {
      if (service.child.exitCode === null) {
        service.kill('SIGTERM');
        await service.exit();
      }
    }
  });

  const launch = (key: string) => {
    const service = ServiceProcess.start({ DATABASE_URL: databaseUrl, DATA_DIR: mkdtempSync(join(tmpdir(), 'mi-key-')), ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY: key });
    void service.then((s) => running.push(s));
    return service;
  };
  const stop = async (service: ServiceProcess) => {
    service.kill('SIGTERM');
    expect(await service.exit()).toBe(0);
  };
  const expectRefused = async (service: ServiceProcess) => {
    expect(await service.exit()).toBe(1);
    expect(service.output).toContain('ENCRYPTION_KEY cannot decrypt the secrets stored in this database');
    expect(service.output).not.toContain(KEY_A);
  };

  it('refuses to start with another key than the first start used, naming the variable', async () => {
    const first = await launch(KEY_A);
    await first.healthy();
    const put = await first.request('PUT', '/api/admin/system-config', {
      token: ADMIN,
      body: { meta_messaging_app_id: '42', meta_messaging_app_secret: 'secret-under-key-a', meta_messaging_verify_token: 'v' },
    });
    expect(put.status).toBe(200);
    await stop(first);

    await expectRefused(await launch(KEY_B));

    const again = await launch(KEY_A);
    await again.healthy();
    const config = await again.request('GET', '/api/admin/system-config', { token: ADMIN });
    expect(config.body.meta_messaging_app_id).toBe('42');
    await stop(again);
  });

  it('judges a database from before the check value by the secrets it holds', async () => {
    const db = new Pool({ connectionString: databaseUrl, max: 1 });
    try {
      await db.query('UPDATE core_conf SET encryption_key_check = NULL');
      await expectRefused(await launch(KEY_B));
      expect((await db.query('SELECT encryption_key_check FROM core_conf')).rows[0].encryption_key_check).toBeNull();
      const right = await launch(KEY_A);
      await right.healthy();
      await stop(right);
      expect((await db.query('SELECT encryption_key_check FROM core_conf')).rows[0].encryption_key_check).toMatch(/^v1:/);
    } finally {
      await db.end();
    }
  });
});
