import { ADMIN_TOKEN, TestApp } from './support/test-app';

describe('foundation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.close());

  it('answers health with status ok while the database answers', async () => {
    const res = await t.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('serves OpenAPI at /docs', async () => {
    const res = await t.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/health', '/api/admin/organizations', '/api/admin/system-config']));
  });

  describe('admin auth', () => {
    it.each([
      ['no header', undefined],
      ['a wrong token', 'not-the-admin-token-at-all'],
    ])('refuses admin routes with %s (401)', async (_, token) => {
      const res = await t.request('POST', '/api/admin/organizations', { token, body: { name: 'x' } });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
    });

    it('does not accept an organization API key as the admin token', async () => {
      const org = await t.createOrganization();
      const res = await t.request('GET', '/api/admin/system-config', { token: org.apiKey });
      expect(res.status).toBe(401);
    });
  });

  describe('organizations', () => {
    it('creates an organization and shows its API key once, storing only a hash', async () => {
      const res = await t.request('POST', '/api/admin/organizations', { token: ADMIN_TOKEN, body: { name: 'Blue Bottle' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), name: 'Blue Bottle', apiKey: expect.stringMatching(/^mi_live_/) });
      const { rows } = await t.db.query('SELECT key_hash, prefix FROM api_keys WHERE organization_id = $1', [res.body.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].key_hash).not.toContain(res.body.apiKey);
      expect(JSON.stringify(rows)).not.toContain(res.body.apiKey);
    });

    it('rejects a missing or empty name with 400 naming the field', async () => {
      for (const body of [{}, { name: '' }, { name: 42 }]) {
        const res = await t.request('POST', '/api/admin/organizations', { token: ADMIN_TOKEN, body });
        expect(res.status).toBe(400);
        expect(res.body.message).toContain('name');
      }
    });
  });

  describe('system config', () => {
    it('starts empty', async () => {
      const res = await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ meta_messaging_app_id: null, meta_messaging_app_secret: null, meta_messaging_verify_token: null });
    });

    it('sets the three fields, masks the secret and keeps it encrypted in the table', async () => {
      const put = await t.request('PUT', '/api/admin/system-config', {
        token: ADMIN_TOKEN,
        body: { meta_messaging_app_id: '1234567890', meta_messaging_app_secret: 'super-secret-value', meta_messaging_verify_token: 'verify-me' },
      });
      expect(put.status).toBe(200);
      const get = await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN });
      expect(get.body.meta_messaging_app_id).toBe('1234567890');
      expect(get.body.meta_messaging_verify_token).toBe('verify-me');
      expect(get.body.meta_messaging_app_secret).not.toContain('super-secret-value');
      expect(get.body.meta_messaging_app_secret).toMatch(/\*+/);
      const { rows } = await t.db.query('SELECT meta_messaging_app_secret AS secret FROM core_conf');
      expect(rows[0].secret).toBeTruthy();
      expect(rows[0].secret).not.toContain('super-secret-value');
    });

    it('updates one field without touching the others', async () => {
      await t.request('PUT', '/api/admin/system-config', { token: ADMIN_TOKEN, body: { meta_messaging_verify_token: 'second' } });
      const get = await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN });
      expect(get.body).toEqual({ meta_messaging_app_id: '1234567890', meta_messaging_app_secret: expect.any(String), meta_messaging_verify_token: 'second' });
    });

    it.each([
      [{ meta_messaging_app_id: 'not-a-number' }, 'meta_messaging_app_id'],
      [{ meta_messaging_app_secret: '' }, 'meta_messaging_app_secret'],
      [{ meta_messaging_verify_token: 7 }, 'meta_messaging_verify_token'],
      [{ unknown_field: 'x' }, 'unknown_field'],
    ])('rejects %j with 400 naming %s and changes nothing', async (body, field) => {
      const before = await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN });
      const res = await t.request('PUT', '/api/admin/system-config', { token: ADMIN_TOKEN, body });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(field);
      const after = await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN });
      expect(after.body).toEqual(before.body);
    });

    it('answers a malformed JSON body with 400', async () => {
      const res = await t.request('PUT', '/api/admin/system-config', { token: ADMIN_TOKEN, body: '{"meta_messaging_app_id": ' });
      expect(res.status).toBe(400);
    });
  });

  it('keeps its data across a restart', async () => {
    const org = await t.createOrganization('Survivor');
    await t.restart();
    const config = await t.request('GET', '/api/admin/system-config', { token: ADMIN_TOKEN });
    expect(config.body.meta_messaging_app_id).toBe('1234567890');
    const { rows } = await t.db.query('SELECT name FROM organizations WHERE id = $1', [org.id]);
    expect(rows[0].name).toBe('Survivor');
  });
});
