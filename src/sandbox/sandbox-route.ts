import type { IncomingHttpHeaders } from 'node:http';
import type { ControlRouteDoc } from './sandbox-guide';
import type { SandboxState } from './sandbox-state';

/** One request as the sandbox's route handlers see it. */
export interface SandboxContext {
  method: string;
  /** The URL path as received. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON or form body (form values holding JSON objects are parsed, as Meta does). */
  body: Record<string, any>;
  /** Query and body together: Meta accepts most parameters in either. */
  params: Record<string, any>;
  headers: IncomingHttpHeaders;
  /** The body as received (integrator webhook signatures are over these bytes). */
  rawBody?: string;
  state: SandboxState;
}

export interface SandboxReply {
  status?: number;
  json?: unknown;
  body?: Buffer | string;
  headers?: Record<string, string>;
}

export interface SandboxRoute {
  method: 'GET' | 'POST' | 'DELETE' | Array<'GET' | 'POST' | 'DELETE'>;
  /** Matched against the path after the version (`me/messages`, `123/subscribed_apps`). */
  pattern: RegExp;
  handle(ctx: SandboxContext, match: RegExpMatchArray): SandboxReply | Promise<SandboxReply>;
  /** For control routes: how `GET /_sandbox` and the banner describe it. */
  doc?: Omit<ControlRouteDoc, 'method'>;
}

export const json = (value: unknown, status = 200): SandboxReply => ({ status, json: value });

export function findRoute(routes: SandboxRoute[], method: string, path: string): { route: SandboxRoute; match: RegExpMatchArray } | undefined {
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(method as 'GET')) continue;
    const match = path.match(route.pattern);
    if (match) return { route, match };
  }
  return undefined;
}

/** `fields=id,name,instagram_business_account{id,username}` → top-level names. */
export function topLevelFields(fields: unknown): string[] {
  if (typeof fields !== 'string' || fields === '') return [];
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of fields) {
    if (char === '{') depth += 1;
    if (char === '}') depth -= 1;
    if (char === ',' && depth === 0) {
      names.push(current.trim());
      current = '';
    } else if (depth === 0 && char !== '}') current += char;
  }
  if (current.trim()) names.push(current.trim());
  return names;
}
