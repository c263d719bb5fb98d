import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { MetaSettingsService } from '../src/mods/meta/services/meta-settings.service';
import { OAUTH_SCOPES, SUBSCRIBED_FIELDS } from '../src/mods/meta/services/meta-connection.service';
import { configureMetaApp, connectPage, freePort, oauthCallback, oauthCookieOf, oauthState } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

const NOT_CONFIGURED = 'Meta app is not configured. Set it up in Admin > System Config.';

describe('Meta connection (Facebook Login against the sandbox)', () => {
  let sandbox: MetaSandbox;
  let t: TestApp;
  let publicUrl: string;
  const sockets: RecordingSocket[] = [];
  let pageSeq = 0;
  const newPage = (instagram = true) => {
    pageSeq += 1;
    const id = `10400000000${String(pageSeq).padStart(4, '0')}`;
    return sandbox.addPage({ id, name: `Page ${pageSeq}`, instagram: instagram ? { id: `178414000${String(pageSeq).padStart(4, '0')}`, username: `shop${pageSeq}` } : undefined });
  };
  const status = async (apiKey: string) => (await t.request('GET', '/api/meta/connection/status', { token: apiKey })).body;
  const socketFor = async (apiKey: string) => {
    const socket = await RecordingSocket.connect(t.baseUrl, apiKey);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    sandbox = await MetaSandbox.start();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    t = await TestApp.start({ PORT: String(port), PUBLIC_URL: publicUrl, META_GRAPH_URL: sandbox.url, META_OAUTH_DIALOG_URL: sandbox.url });
    await configureMetaApp(t, sandbox);
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.close());
    await t.close();
    await sandbox.stop();
  });
  afterEach(() => expect(sandbox.unmatched).toEqual([]));

  it('refuses oauth-url with 409 pointing to System Config while the Meta app is missing', async () => {
    const org = await t.createOrganization();
    await t.db.query('UPDATE core_conf SET meta_messaging_app_secret = NULL');
    try {
      const res = await t.request('GET', '/api/meta/connection/oauth-url', { token: org.apiKey });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: NOT_CONFIGURED });
    } finally {
      await configureMetaApp(t, sandbox);
    }
  });

  it('requires an API key on the connection routes', async () => {
    for (const [method, path] of [['GET', '/api/meta/connection/oauth-url'], ['GET', '/api/meta/connection/status'], ['GET', '/api/meta/connection/pages'], ['POST', '/api/meta/connection/page'], ['DELETE', '/api/meta/connection']]) {
      expect((await t.request(method, path)).status).toBe(401);
    }
  });

  it('builds the Login dialog URL with client_id, redirect_uri, the scopes and a single-use state', async () => {
    const org = await t.createOrganization();
    const res = await t.request('GET', '/api/meta/connection/oauth-url', { token: org.apiKey });
    expect(res.status).toBe(200);
    const url = new URL(res.body.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${sandbox.url}/v21.0/dialog/oauth`);
    expect(url.searchParams.get('client_id')).toBe(sandbox.appId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${publicUrl}/api/meta/oauth/callback`);
    expect(url.searchParams.get('scope')!.split(',')).toEqual(OAUTH_SCOPES);
    const state = url.searchParams.get('state')!;
    expect(state.length).toBeGreaterThanOrEqual(32);
    const { rows } = await t.db.query('SELECT state_hash, organization_id FROM meta_oauth_states WHERE organization_id = $1', [org.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].state_hash).not.toContain(state);
  });

  it('connects the one Page a login grants: token encrypted, app subscribed, status active, connection.updated pushed', async () => {
    const page = newPage();
    const org = await t.createOrganization();
    const socket = await socketFor(org.apiKey);
    const { body, headers } = await t.request('GET', '/api/meta/connection/oauth-url', { token: org.apiKey });
    const cookie = oauthCookieOf(headers)!;
    // The browser's trip: our dialog URL → (sandbox auto-consents) → our callback, with the cookie oauth-url set.
    const dialog = await fetch(body.url, { redirect: 'manual' });
    expect(dialog.status).toBe(302);
    const callback = await fetch(dialog.headers.get('location')!, { redirect: 'manual', headers: { cookie } });
    expect(callback.status).toBe(200);
    expect(callback.headers.get('content-type')).toContain('text/html');
    expect(await callback.text()).toContain('connected');

    const expected = { connected: true, status: 'active', pageId: page.id, pageName: page.name, instagramAccountId: page.instagram!.id, instagramUsername: page.instagram!.username };
    expect(await status(org.apiKey)).toEqual(expected);
    await expect(socket.waitFor('connection.updated', (s) => s.connected)).resolves.toEqual(expected);
    expect(sandbox.subscribedFields(page.id)).toEqual(SUBSCRIBED_FIELDS);
    const { rows } = await t.db.query('SELECT page_access_token FROM organization_meta_settings WHERE organization_id = $1', [org.id]);
    expect(rows[0].page_access_token).not.toContain(page.accessToken);
    expect(t.app.get(MetaSettingsService).decrypt((await t.app.get(MetaSettingsService).forOrganization(org.id))!).pageAccessToken).toBe(page.accessToken);
    // Every token call carried an appsecret_proof (the sandbox refuses those without).
    const tokenCalls = sandbox.requests.filter((r) => r.query.access_token);
    expect(tokenCalls.length).toBeGreaterThanOrEqual(3);
    expect(tokenCalls.every((r) => r.status === 200 && r.query.appsecret_proof)).toBe(true);
  });

  it('holds several granted Pages for a choice without revealing their tokens, then connects the chosen one', async () => {
    const [first, second] = [newPage(), newPage(false)];
    const org = await t.createOrganization();
    const callback = await oauthCallback(t, { code: sandbox.authorize([first.id, second.id]), state: await oauthState(t, org.apiKey) });
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain('Choose a Page');
    expect((await status(org.apiKey)).connected).toBe(false);

    const pages = await t.request('GET', '/api/meta/connection/pages', { token: org.apiKey });
    expect(pages.body).toEqual([
      { id: first.id, name: first.name, instagramAccountId: first.instagram!.id, instagramUsername: first.instagram!.username },
      { id: second.id, name: second.name, instagramAccountId: null, instagramUsername: null },
    ]);
    const held = await t.db.query('SELECT page_access_token FROM meta_pending_pages WHERE organization_id = $1', [org.id]);
    expect(JSON.stringify(held.rows)).not.toContain(first.accessToken);
    const other = await t.createOrganization();
    expect((await t.request('GET', '/api/meta/connection/pages', { token: other.apiKey })).body).toEqual([]);
    expect((await t.request('POST', '/api/meta/connection/page', { token: other.apiKey, body: { pageId: second.id } })).status).toBe(404);

    const chosen = await t.request('POST', '/api/meta/connection/page', { token: org.apiKey, body: { pageId: second.id } });
    expect(chosen.status).toBe(200);
    expect(chosen.body).toEqual({ connected: true, status: 'active', pageId: second.id, pageName: second.name, instagramAccountId: null, instagramUsername: null });
    expect(sandbox.subscribedFields(second.id)).toEqual(SUBSCRIBED_FIELDS);
    expect(sandbox.subscribedFields(first.id)).toBeUndefined();
    expect((await t.request('GET', '/api/meta/connection/pages', { token: org.apiKey })).body).toEqual([]);
  });

  it('validates the chosen page id and refuses a Page whose hold expired', async () => {
    const org = await t.createOrganization();
    expect((await t.request('POST', '/api/meta/connection/page', { token: org.apiKey, body: {} })).body.message).toContain('pageId');
    const [a, b] = [newPage(), newPage()];
    await oauthCallback(t, { code: sandbox.authorize([a.id, b.id]), state: await oauthState(t, org.apiKey) });
    await t.db.query("UPDATE meta_pending_pages SET expires_at = now() - interval '1 minute' WHERE organization_id = $1", [org.id]);
    expect((await t.request('GET', '/api/meta/connection/pages', { token: org.apiKey })).body).toEqual([]);
    expect((await t.request('POST', '/api/meta/connection/page', { token: org.apiKey, body: { pageId: a.id } })).status).toBe(404);
    expect((await status(org.apiKey)).connected).toBe(false);
  });

  describe('the OAuth state', () => {
    const exchanges = () => sandbox.requests.filter((r) => r.path.endsWith('/oauth/access_token')).length;

    it('is single use: a replayed callback is refused with 400 and changes nothing', async () => {
      const page = newPage();
      const org = await t.createOrganization();
      const state = await oauthState(t, org.apiKey);
      expect((await oauthCallback(t, { code: sandbox.authorize([page.id]), state })).status).toBe(200);
      const before = await status(org.apiKey);
      const calls = exchanges();
      const replay = await oauthCallback(t, { code: sandbox.authorize([newPage().id]), state });
      expect(replay.status).toBe(400);
      expect(exchanges()).toBe(calls);
      expect(await status(org.apiKey)).toEqual(before);
    });

    it.each([
      ['forged', { state: 'st_not-a-state-we-issued' }],
      ['missing', {}],
    ])('refuses a %s state with 400 without calling Meta', async (_, query) => {
      const calls = exchanges();
      const res = await oauthCallback(t, { code: sandbox.authorize([newPage().id]), ...query });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ statusCode: 400, message: expect.stringContaining('Settings > Integrations') });
      expect(exchanges()).toBe(calls);
    });

    it('expires after 10 minutes', async () => {
      const org = await t.createOrganization();
      const state = await oauthState(t, org.apiKey);
      await t.db.query("UPDATE meta_oauth_states SET expires_at = now() - interval '1 second' WHERE organization_id = $1", [org.id]);
      const res = await oauthCallback(t, { code: sandbox.authorize([newPage().id]), state });
      expect(res.status).toBe(400);
      expect((await status(org.apiKey)).connected).toBe(false);
    });

    it('is consumed when the person cancels the login, which says what happened', async () => {
      const org = await t.createOrganization();
      const state = await oauthState(t, org.apiKey);
      const cancelled = await oauthCallback(t, { state, error: 'access_denied' });
      expect(cancelled.status).toBe(400);
      expect(await cancelled.text()).toContain('cancelled');
      expect((await oauthCallback(t, { code: sandbox.authorize([newPage().id]), state })).status).toBe(400);
    });
  });

  it('refuses a Page already connected to another organization and leaves both as they were', async () => {
    const page = newPage();
    const owner = await t.createOrganization();
    await connectPage(t, sandbox, owner.apiKey, page);
    const intruder = await t.createOrganization();
    const res = await oauthCallback(t, { code: sandbox.authorize([page.id]), state: await oauthState(t, intruder.apiKey) });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('already connected to another organization');
    expect((await status(intruder.apiKey)).connected).toBe(false);
    expect((await status(owner.apiKey)).pageId).toBe(page.id);
  });

  describe('login CSRF: the flow is bound to the browser that started it', () => {
    it('sets an HttpOnly, SameSite=Lax cookie scoped to the OAuth routes with the login URL', async () => {
      const org = await t.createOrganization();
      const res = await t.request('GET', '/api/meta/connection/oauth-url', { token: org.apiKey });
      const [setCookie] = res.headers.getSetCookie();
      expect(setCookie).toMatch(/^meta_inbox_oauth=br_[\w-]{20,}; /);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Lax');
      expect(setCookie).toContain('Path=/api/meta/oauth');
      expect(setCookie).toContain('Max-Age=600');
      expect(setCookie).not.toContain('Secure'); // PUBLIC_URL is http here; an https one adds it
    });

    it("connects nothing when a victim's browser (no cookie, or another flow's cookie) completes an attacker's login link, and spends the link", async () => {
      const page = newPage();
      const attacker = await t.createOrganization('Attacker');
      const victim = await t.createOrganization('Victim');
      const attackerState = await oauthState(t, attacker.apiKey);
      const code = sandbox.authorize([page.id]);
      const noCookie = await oauthCallback(t, { code, state: attackerState }, { cookie: null });
      expect(noCookie.status).toBe(403);
      expect(await noCookie.text()).toContain('not started in this browser');
      // The victim's own cookie, from a flow the victim started, does not fit the attacker's state either.
      const victimState = await oauthState(t, victim.apiKey);
      const victimCookie = oauthCookieOf((await t.request('GET', '/api/meta/connection/oauth-url', { token: victim.apiKey })).headers)!;
      const otherCookie = await oauthCallback(t, { code: sandbox.authorize([page.id]), state: (await oauthState(t, attacker.apiKey)) }, { cookie: victimCookie });
      expect(otherCookie.status).toBe(403);
      expect((await status(attacker.apiKey)).connected).toBe(false);
      expect(sandbox.subscribedFields(page.id)).toBeUndefined();
      expect(sandbox.requests.some((r) => r.path.includes('oauth/access_token') && r.query.code === code)).toBe(false);
      // The attacker's state is spent: replaying it with the attacker's own cookie does nothing either.
      expect((await oauthCallback(t, { code: sandbox.authorize([page.id]), state: attackerState })).status).toBe(400);
      expect((await status(attacker.apiKey)).connected).toBe(false);
      // The legitimate flow still works for the victim, in the victim's browser.
      expect((await oauthCallback(t, { code: sandbox.authorize([page.id]), state: victimState })).status).toBe(200);
      expect((await status(victim.apiKey)).pageId).toBe(page.id);
    });

    it('with start=true answers a start link that binds the browser opening it once, then runs the usual flow', async () => {
      const page = newPage();
      const org = await t.createOrganization();
      const res = await t.request('GET', '/api/meta/connection/oauth-url?start=true', { token: org.apiKey });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
      const link = new URL(res.body.url);
      expect(`${link.origin}${link.pathname}`).toBe(`${publicUrl}/api/meta/oauth/start`);
      const opened = await fetch(link, { redirect: 'manual' });
      expect(opened.status).toBe(302);
      const cookie = oauthCookieOf(opened.headers)!;
      expect(opened.headers.getSetCookie()[0]).toContain('HttpOnly');
      const dialog = new URL(opened.headers.get('location')!);
      expect(`${dialog.origin}${dialog.pathname}`).toBe(`${sandbox.url}/v21.0/dialog/oauth`);
      expect(dialog.searchParams.get('state')).toBe(link.searchParams.get('state'));
      // Opened a second time (say by someone it was forwarded to), the link binds nobody.
      const again = await fetch(link, { redirect: 'manual' });
      expect(again.status).toBe(400);
      expect(oauthCookieOf(again.headers)).toBeUndefined();
      const state = dialog.searchParams.get('state')!;
      expect((await oauthCallback(t, { code: sandbox.authorize([page.id]), state }, { cookie: null })).status).toBe(403);
      expect((await status(org.apiKey)).connected).toBe(false);

      const second = new URL((await t.request('GET', '/api/meta/connection/oauth-url?start=true', { token: org.apiKey })).body.url);
      const secondOpened = await fetch(second, { redirect: 'manual' });
      const back = await fetch((await fetch(secondOpened.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!, {
        redirect: 'manual',
        headers: { cookie: oauthCookieOf(secondOpened.headers)! },
      });
      expect(back.status).toBe(200);
      expect(back.headers.getSetCookie()[0]).toMatch(/^meta_inbox_oauth=; .*Max-Age=0/);
      // The sandbox's dialog grants every Page it knows: one connects at once, several wait for a choice.
      const landing = await back.text();
      expect(landing).toMatch(/data-meta-result="(connected|select_page)"/);
      if (landing.includes('select_page')) expect((await t.request('POST', '/api/meta/connection/page', { token: org.apiKey, body: { pageId: page.id } })).status).toBe(200);
      expect((await status(org.apiKey)).pageId).toBe(page.id);
      expect(cookie).not.toBe(oauthCookieOf(secondOpened.headers));
    });
  });

  it('reports a Meta failure during the code exchange on the page it shows', async () => {
    const org = await t.createOrganization();
    sandbox.failNext(1, { code: 1, httpStatus: 500, path: /oauth\/access_token/ });
    const res = await oauthCallback(t, { code: sandbox.authorize([newPage().id]), state: await oauthState(t, org.apiKey) });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('Meta refused the connection');
    expect((await status(org.apiKey)).connected).toBe(false);
  });

  it('reconnects after expiry: the same row, a fresh token, status active again', async () => {
    const page = newPage();
    const org = await t.createOrganization();
    await connectPage(t, sandbox, org.apiKey, page);
    const before = await t.db.query('SELECT created_at, page_access_token FROM organization_meta_settings WHERE organization_id = $1', [org.id]);
    sandbox.expireToken(page.accessToken);
    await t.app.get(MetaSettingsService).markExpired(org.id);
    expect((await status(org.apiKey)).status).toBe('expired');

    const socket = await socketFor(org.apiKey);
    const reconnected = await connectPage(t, sandbox, org.apiKey, page);
    expect(reconnected).toMatchObject({ connected: true, status: 'active', pageId: page.id });
    await socket.waitFor('connection.updated', (s) => s.status === 'active');
    const after = await t.db.query('SELECT created_at, page_access_token FROM organization_meta_settings WHERE organization_id = $1', [org.id]);
    expect(after.rows).toHaveLength(1);
    expect(after.rows[0].created_at).toEqual(before.rows[0].created_at);
    const settings = t.app.get(MetaSettingsService);
    expect(settings.decrypt((await settings.forOrganization(org.id))!).pageAccessToken).toBe(page.accessToken);
    const subscribe = sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${page.id}/subscribed_apps`)).pop()!;
    expect(subscribe).toMatchObject({ status: 200, query: expect.objectContaining({ access_token: page.accessToken }) });
  });

  describe('disconnecting', () => {
    it('unsubscribes the app, forgets the token, keeps contacts and announces it', async () => {
      const page = newPage();
      const org = await t.createOrganization();
      await connectPage(t, sandbox, org.apiKey, page);
      await t.db.query("INSERT INTO contacts (organization_id, display_name) VALUES ($1, 'Ada')", [org.id]);
      const socket = await socketFor(org.apiKey);
      const res = await t.request('DELETE', '/api/meta/connection', { token: org.apiKey });
      expect(res.status).toBe(200);
      const disconnected = { connected: false, status: null, pageId: null, pageName: null, instagramAccountId: null, instagramUsername: null };
      expect(res.body).toEqual(disconnected);
      await expect(socket.waitFor('connection.updated', (s) => !s.connected)).resolves.toEqual(disconnected);
      expect(sandbox.subscribedFields(page.id)).toBeUndefined();
      expect((await t.db.query('SELECT 1 FROM organization_meta_settings WHERE organization_id = $1', [org.id])).rowCount).toBe(0);
      expect((await t.db.query('SELECT 1 FROM contacts WHERE organization_id = $1', [org.id])).rowCount).toBe(1);
    });

    it('goes ahead when Meta fails the unsubscribe', async () => {
      const page = newPage();
      const org = await t.createOrganization();
      await connectPage(t, sandbox, org.apiKey, page);
      sandbox.failNext(1, { httpStatus: 500, path: /subscribed_apps/ });
      const res = await t.request('DELETE', '/api/meta/connection', { token: org.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.connected).toBe(false);
      expect(sandbox.requests.filter((r) => r.method === 'DELETE').pop()!.status).toBe(500);
      expect((await status(org.apiKey)).connected).toBe(false);
    });

    it('answers the unconnected status when nothing is connected', async () => {
      const org = await t.createOrganization();
      const res = await t.request('DELETE', '/api/meta/connection', { token: org.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.connected).toBe(false);
    });
  });

  it('sends the browser to APP_URL with the outcome when one is configured', async () => {
    const other = await TestApp.start({ META_GRAPH_URL: sandbox.url, META_OAUTH_DIALOG_URL: sandbox.url, APP_URL: 'http://inbox.example/settings' });
    try {
      await configureMetaApp(other, sandbox);
      const org = await other.createOrganization();
      const one = await oauthCallback(other, { code: sandbox.authorize([newPage().id]), state: await oauthState(other, org.apiKey) });
      expect(one.status).toBe(302);
      expect(one.headers.get('location')).toBe('http://inbox.example/settings?meta=connected');
      const org2 = await other.createOrganization();
      const several = await oauthCallback(other, { code: sandbox.authorize([newPage().id, newPage().id]), state: await oauthState(other, org2.apiKey) });
      expect(several.headers.get('location')).toBe('http://inbox.example/settings?meta=select_page');
      const org3 = await other.createOrganization();
      const denied = await oauthCallback(other, { error: 'access_denied', state: await oauthState(other, org3.apiKey) });
      expect(denied.headers.get('location')).toBe('http://inbox.example/settings?meta=error&reason=access_denied');
      const org4 = await other.createOrganization();
      const foreign = await oauthCallback(other, { code: sandbox.authorize([newPage().id]), state: await oauthState(other, org4.apiKey) }, { cookie: null });
      expect(foreign.headers.get('location')).toBe('http://inbox.example/settings?meta=error&reason=browser_mismatch');
      expect((await other.request('GET', '/api/meta/connection/status', { token: org4.apiKey })).body.connected).toBe(false);
    } finally {
      await other.close();
    }
  });
});
