import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Linux counts process CPU time in clock ticks of 10 ms (USER_HZ 100). */
const TICK_MS = 10;

interface ProcStat {
  ppid: number;
  /** Own CPU time, user + system. */
  ownMs: number;
  /** CPU time of its children that have exited and been waited for. */
  reapedChildrenMs: number;
}

function statOf(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields start after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const at = (n: number) => Number(fields[n - 3]);
    return { ppid: at(4), ownMs: (at(14) + at(15)) * TICK_MS, reapedChildrenMs: (at(16) + at(17)) * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU time one process has used so far (ms), or null where /proc cannot tell (not Linux). */
export function processCpuMs(pid: number | undefined): number | null {
  return pid === undefined ? null : (statOf(pid)?.ownMs ?? null);
}

/**
 * CPU time a PostgreSQL server has used so far (ms): the postmaster, every backend alive now and
 * every backend that has exited. Read from `postmaster.pid` in the cluster directory.
 */
export function postgresCpuMs(clusterDir: string): number | null {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  const root = statOf(postmaster);
  if (!root) return null;
  let total = root.ownMs + root.reapedChildrenMs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat?.ppid === postmaster) total += stat.ownMs;
  }
  return total;
}

/** CPU ms per unit of work between two readings (to two decimals), or null where a reading is missing or no work was done. */
export function cpuMsPer(after: number | null, before: number | null, units: number): number | null {
  return after === null || before === null || !units ? null : Math.round(((after - before) / units) * 100) / 100;
}
