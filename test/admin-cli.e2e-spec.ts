import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { ServiceProcess } from './support/service-process';
import { TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');

/** `npm run admin -- …` as an operator runs it: the built command, its exit code and output. */
function admin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { DATABASE_URL: _url, ADMIN_TOKEN: _token, ...inherited } = process.env;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'admin.js'), ...args], { cwd: ROOT, env: { ...inherited, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const adminStatus = async (baseUrl: string, token: string) =>
  (await fetch(`${baseUrl}/api/admin/system-config`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('npm run admin -- rotate-token', () => {
  it('prints a new admin token and writes DATA_DIR/admin-token; a running instance takes it and refuses the old one', async () => {
    const t = await TestApp.start({ ADMIN_TOKEN: '' });
    try {
      const file = join(t.env.DATA_DIR, 'admin-token');
      const old = readFileSync(file, 'utf8').trim();
      expect(await adminStatus(t.baseUrl, old)).toBe(200);

      const run = await admin(['rotate-token'], { DATABASE_URL: t.config.databaseUrl!, DATA_DIR: t.env.DATA_DIR });
      expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^mi_admin_\S+\n$/) });
      const token = run.stdout.trim();
      expect(token).not.toBe(old);
      expect(run.stderr).toContain(file);
      expect(readFileSync(file, 'utf8').trim()).toBe(token);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      await eventually(() => adminStatus(t.baseUrl, token), (status) => status === 200, 10000);
      expect(await adminStatus(t.baseUrl, old)).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('refuses while ADMIN_TOKEN is set, since that variable is the token', async () => {
    const run = await admin(['rotate-token'], { ADMIN_TOKEN: 'an-admin-token-from-the-environment', DATA_DIR: mkdtempSync(join(tmpdir(), 'meta-inbox-admin-')) });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('ADMIN_TOKEN is set');
  });

  it('says how to use it when the command is unknown', async () => {
    const run = await admin(['reset-everything'], { DATA_DIR: mkdtempSync(join(tmpdir(), 'meta-inbox-admin-')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('rotate-token');
  });

  it('works on the embedded database, with the service stopped and while it runs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meta-inbox-admin-'));
    // Stopped: the command starts the embedded PostgreSQL itself, and stops it after.
    const first = await admin(['rotate-token'], { DATA_DIR: dataDir });
    expect(first.code).toBe(0);
    const firstToken = first.stdout.trim();
    const service = await ServiceProcess.start({ DATA_DIR: dataDir });
    try {
      await service.healthy();
      expect(await adminStatus(service.baseUrl, firstToken)).toBe(200);
      // Running: the command uses the instance's server instead of starting one.
      const second = await admin(['rotate-token'], { DATA_DIR: dataDir });
      expect(second.code).toBe(0);
      const secondToken = second.stdout.trim();
      expect(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()).toBe(secondToken);
      await eventually(() => adminStatus(service.baseUrl, secondToken), (status) => status === 200, 10000);
      expect(await adminStatus(service.baseUrl, firstToken)).toBe(401);
    } finally {
      service.kill('SIGTERM');
      await service.exit();
    }
  });
});
