import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

const HOW_TO_GET_ONE = [
  'No Chromium found for the browser tests.',
  'It normally comes with `npm ci` (the @sparticuz/chromium dev dependency ships one for Linux x64).',
  'Otherwise install one (Debian/Ubuntu: `apt-get install -y chromium`) or point CHROMIUM_PATH at a Chromium or Chrome binary.',
].join(' ');

/**
 * Where the browser comes from, in order: CHROMIUM_PATH; the binary shipped inside the
 * @sparticuz/chromium npm package (so `npm ci` is enough on Linux x64); a system Chromium.
 * None of them is a download at test time. Finding none is a failure, never a skip.
 */
async function chromiumCandidates(): Promise<string[]> {
  const candidates: string[] = [];
  if (process.env.CHROMIUM_PATH) candidates.push(process.env.CHROMIUM_PATH);
  try {
    // The package is ESM-only; asked in a plain node process it unpacks its binary and says where.
    const script = "const { default: c } = await import('@sparticuz/chromium'); process.stdout.write(await c.executablePath());";
    candidates.push(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }).trim());
  } catch {
    /* not installed, or not for this platform: try the system's */
  }
  candidates.push(...SYSTEM_CHROMIUM.filter((path) => existsSync(path)));
  return candidates;
}

/**
 * A headless Chromium (Playwright gives each launch a fresh temporary profile, the
 * `--user-data-dir` of its own); throws how to get one when none starts.
 */
export async function launchChromium(candidates?: string[]): Promise<Browser> {
  const failures: string[] = [];
  for (const executablePath of candidates ?? (await chromiumCandidates())) {
    try {
      return await chromium.launch({
        executablePath,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    } catch (error) {
      failures.push(`${executablePath}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(failures.length ? `${HOW_TO_GET_ONE} Tried: ${failures.join('; ')}` : HOW_TO_GET_ONE);
}
