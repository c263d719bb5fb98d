import { MetaSandbox } from './meta-sandbox';
import { controlRoutes } from './routes/control.routes';
import { FAULT_OPTIONS, sandboxBanner } from './sandbox-guide';

describe('the sandbox guide', () => {
  let sandbox: MetaSandbox;
  beforeAll(async () => {
    sandbox = await MetaSandbox.start({ appId: '42', appSecret: 'the-secret', verifyToken: 'the-verify-token' });
    sandbox.webhookTarget = 'http://localhost:3456/api/meta/webhook';
    sandbox.addPage({ id: '104', name: 'Demo', instagram: { id: '178', username: 'demo' } });
  });
  afterAll(() => sandbox.stop());

  const banner = () =>
    sandboxBanner({
      url: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      verifyToken: sandbox.verifyToken,
      webhookTarget: sandbox.webhookTarget!,
      page: { id: '104', name: 'Demo', instagram: { id: '178', username: 'demo' } },
      controlRoutes: sandbox.controlRouteDocs(),
    });

  it("builds the walkthrough from its real settings, for the service's port, with the README's variable names", () => {
    const text = banner();
    expect(text).toContain(`Meta sandbox listening on ${sandbox.url}`);
    // Named by the address the walkthrough calls it at, so Facebook Login comes back to the browser (curl's cookie jar) that started it.
    expect(text).toContain(`PORT=3456 PUBLIC_URL=http://localhost:3456 META_GRAPH_URL=${sandbox.url} META_OAUTH_DIALOG_URL=${sandbox.url}`);
    expect(text).toContain('"meta_messaging_app_id":"42","meta_messaging_app_secret":"the-secret","meta_messaging_verify_token":"the-verify-token"');
    expect(text).toContain('curl -s -X PUT http://localhost:3456/api/admin/system-config -H "authorization: Bearer $TOKEN"');
    expect(text).toContain('TOKEN=$(cat .data/admin-token)');
    expect(text).toContain('$API_KEY');
    expect(text).not.toContain('ADMIN_TOKEN"');
    expect(text).not.toContain('$ADMIN_TOKEN');
    expect(text).not.toContain('3000');
  });

  it('lists every control route and every fault option, in the banner and at GET /_sandbox', async () => {
    const described = (await (await fetch(`${sandbox.url}/_sandbox`)).json()) as { controlRoutes: { method: string; path: string }[]; faultOptions: object };
    const paths = described.controlRoutes.map((route) => `${route.method} ${route.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'GET /_sandbox',
        'GET /_sandbox/requests',
        'GET /_sandbox/sent',
        'GET /_sandbox/unmatched',
        'GET /_sandbox/pages',
        'POST /_sandbox/pages',
        'POST /_sandbox/profiles',
        'POST /_sandbox/inbound',
        'POST /_sandbox/fail',
        'POST /_sandbox/expire',
        'POST /_sandbox/clear',
        'GET /_sandbox/attachments',
        'POST /_sandbox/delivered',
        'POST /_sandbox/comments',
        'GET /_sandbox/comments',
        'POST /_sandbox/story-mention',
        'GET /_sandbox/integrator-webhooks',
        'POST /_sandbox/integrator-webhooks',
        'POST /_sandbox/attachments/expire',
      ]),
    );
    expect(Object.keys(described.faultOptions).sort()).toEqual(['code', 'count', 'delayMs', 'forMs', 'httpStatus', 'message', 'pageId', 'path', 'subcode']);
    const text = banner();
    for (const route of described.controlRoutes) expect(text).toContain(`${route.method.padEnd(4)} ${sandbox.url}${route.path}`);
    for (const option of Object.keys(FAULT_OPTIONS)) expect(text).toMatch(new RegExp(`^  ${option} `, 'm'));
  });

  it('documents every control route where it is defined', () => {
    expect(controlRoutes(sandbox).filter((route) => !route.doc).map((route) => `${route.method} ${route.pattern}`)).toEqual([]);
  });

  it('answers every documented GET control route', async () => {
    for (const route of sandbox.controlRouteDocs().filter((r) => r.method === 'GET')) {
      expect((await fetch(`${sandbox.url}${route.path}`)).status).toBe(200);
    }
  });

  it('applies each documented fault option', async () => {
    const fail = (body: object) => fetch(`${sandbox.url}/_sandbox/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await fail({ count: 1, code: 100, subcode: 33, httpStatus: 400, message: 'custom words', path: 'nothing-matches-this$' });
    await fail({ count: 1, delayMs: 300, path: 'me$' });
    const started = Date.now();
    const slow = await fetch(`${sandbox.url}/v21.0/me`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(slow.status).not.toBe(500);
    await fail({ count: 1, code: 100, subcode: 33, httpStatus: 400, message: 'custom words' });
    const failed = (await (await fetch(`${sandbox.url}/v21.0/me`)).json()) as { error: Record<string, unknown> };
    expect(failed.error).toMatchObject({ code: 100, error_subcode: 33, message: 'custom words' });
  });
});
