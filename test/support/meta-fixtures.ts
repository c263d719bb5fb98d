import { MetaSandbox } from '../../src/sandbox/meta-sandbox';
import type { SandboxPage, SandboxPageInput } from '../../src/sandbox/sandbox.types';
import type { ServiceClient } from './http-client';
import { freePort } from './service-process';

export { freePort };
import { ADMIN_TOKEN, TestApp } from './test-app';

/** Sets the sandbox's app id, secret and verify token in Admin > System Config. */
export async function configureMetaApp(t: ServiceClient, sandbox: MetaSandbox, adminToken = ADMIN_TOKEN): Promise<void> {
  const res = await t.request('PUT', '/api/admin/system-config', {
    token: adminToken,
    body: { meta_messaging_app_id: sandbox.appId, meta_messaging_app_secret: sandbox.appSecret, meta_messaging_verify_token: sandbox.verifyToken },
  });
  if (res.status !== 200) throw new Error(`system-config answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/**
 * The cookie jar of "the browser that started the flow", per state: `oauthState` keeps the
 * cookie `oauth-url` set, and `oauthCallback` sends it back unless told otherwise.
 */
const browserCookies = new Map<string, string>();

/** The `name=value` of the OAuth browser cookie in a response's Set-Cookie, if any. */
export function oauthCookieOf(headers: Headers): string | undefined {
  const setCookie = headers.getSetCookie().find((cookie) => cookie.startsWith('meta_inbox_oauth='));
  return setCookie?.split(';')[0];
}

/** The `state` of an `oauth-url` answer, after checking the route answered (its cookie is kept for the callback). */
export async function oauthState(t: ServiceClient, apiKey: string): Promise<string> {
  const res = await t.request('GET', '/api/meta/connection/oauth-url', { token: apiKey });
  if (res.status !== 200) throw new Error(`oauth-url answered ${res.status}: ${JSON.stringify(res.body)}`);
  const state = new URL(res.body.url).searchParams.get('state')!;
  const cookie = oauthCookieOf(res.headers);
  if (cookie) browserCookies.set(state, cookie);
  return state;
}

/**
 * Meta's redirect back to us, as the browser would follow it (without following ours): by
 * default the browser that asked for the state; `cookie: null` is another browser.
 */
export function oauthCallback(t: ServiceClient, query: { code?: string; state?: string; error?: string }, browser: { cookie?: string | null } = {}) {
  const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const cookie = browser.cookie === undefined ? (query.state ? browserCookies.get(query.state) : undefined) : browser.cookie;
  return fetch(`${t.baseUrl}/api/meta/oauth/callback?${params}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

/**
 * Connects `page` to the organization through the real OAuth routes: `oauth-url` for a
 * state, then the callback with a code granting only that Page. Returns the status view.
 */
export async function connectPage(t: ServiceClient, sandbox: MetaSandbox, apiKey: string, page: Pick<SandboxPage, 'id'>): Promise<any> {
  const state = await oauthState(t, apiKey);
  const callback = await oauthCallback(t, { code: sandbox.authorize([page.id]), state });
  if (callback.status >= 400) throw new Error(`the OAuth callback answered ${callback.status}: ${await callback.text()}`);
  const status = await t.request('GET', '/api/meta/connection/status', { token: apiKey });
  if (!status.body?.connected || status.body.pageId !== page.id) throw new Error(`Page ${page.id} did not connect: ${JSON.stringify(status.body)}`);
  return status.body;
}

/**
 * The app pointed at a fresh sandbox (Graph API, Login dialog, webhook target), with the
 * Meta app configured. PUBLIC_URL is the app's own address so the sandbox can fetch files.
 */
export async function startWithSandbox(env: Record<string, string> = {}): Promise<{ t: TestApp; sandbox: MetaSandbox }> {
  const sandbox = await MetaSandbox.start();
  const port = await freePort();
  const t = await TestApp.start({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    META_GRAPH_URL: sandbox.url,
    META_OAUTH_DIALOG_URL: sandbox.url,
    ...env,
  });
  sandbox.webhookTarget = `${t.baseUrl}/api/meta/webhook`;
  await configureMetaApp(t, sandbox);
  return { t, sandbox };
}

/**
 * `startWithSandbox`, with `page` added to the sandbox and connected to a new organization named
 * `orgName` through the real OAuth routes.
 */
export async function startWithConnectedPage(
  page: SandboxPageInput,
  orgName: string,
  env: Record<string, string> = {},
): Promise<{ t: TestApp; sandbox: MetaSandbox; page: SandboxPage; org: { id: string; name: string; apiKey: string } }> {
  const { t, sandbox } = await startWithSandbox(env);
  const added = sandbox.addPage(page);
  const org = await t.createOrganization(orgName);
  await connectPage(t, sandbox, org.apiKey, added);
  return { t, sandbox, page: added, org };
}

/** Closes a suite's `sockets`, then the app and the sandbox `startWithSandbox` started (either may be missing if it failed). */
export async function stopWithSandbox({ t, sandbox }: { t?: TestApp; sandbox?: MetaSandbox }, sockets: { close(): void }[] = []): Promise<void> {
  sockets.forEach((socket) => socket.close());
  await t?.close();
  await sandbox?.stop();
}
