import { createContact } from './support/factories';
import { RecordingSocket } from './support/socket-client';
import { ADMIN_TOKEN, TestApp } from './support/test-app';

/** The admin's API keys of an organization: issue, list, revoke — and a revoked key is done at once. */
describe('API keys of an organization', () => {
  let t: TestApp;
  let org: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    t = await TestApp.start();
    org = await t.createOrganization('Keys Org');
    other = await t.createOrganization('Other Org');
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.close());
    await t.close();
  });

  const keysPath = (organizationId: string) => `/api/admin/organizations/${organizationId}/api-keys`;
  const listKeys = async (organizationId: string) => (await t.request('GET', keysPath(organizationId), { token: ADMIN_TOKEN })).body.data as any[];
  const works = async (apiKey: string) => (await t.request('GET', '/api/conversations', { token: apiKey })).status;

  it('issues another key shown once, and lists keys without them', async () => {
    const issued = await t.request('POST', keysPath(org.id), { token: ADMIN_TOKEN });
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ id: expect.any(String), apiKey: expect.stringMatching(/^mi_live/), createdAt: expect.any(String) });
    expect(await works(issued.body.apiKey)).toBe(200);
    const listed = await listKeys(org.id);
    expect(listed).toHaveLength(2);
    expect(listed[1]).toEqual({ id: issued.body.id, createdAt: issued.body.createdAt, lastUsedAt: expect.any(String) });
    expect(JSON.stringify(listed)).not.toContain(issued.body.apiKey);
    expect(JSON.stringify(listed)).not.toContain(org.apiKey);
  });

  it('shows when a key was last used', async () => {
    const fresh = (await t.request('POST', keysPath(other.id), { token: ADMIN_TOKEN })).body;
    expect((await listKeys(other.id)).find((k) => k.id === fresh.id).lastUsedAt).toBeNull();
    const before = Date.now();
    expect(await works(fresh.apiKey)).toBe(200);
    const used = (await listKeys(other.id)).find((k) => k.id === fresh.id).lastUsedAt;
    expect(new Date(used).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('refuses a revoked key at once and keeps the others working', async () => {
    const doomed = (await t.request('POST', keysPath(org.id), { token: ADMIN_TOKEN })).body;
    expect(await works(doomed.apiKey)).toBe(200);
    const revoked = await t.request('DELETE', `${keysPath(org.id)}/${doomed.id}`, { token: ADMIN_TOKEN });
    expect(revoked.status).toBe(204);
    const refused = await t.request('GET', '/api/conversations', { token: doomed.apiKey });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ statusCode: 401, message: expect.any(String) });
    expect(await works(org.apiKey)).toBe(200);
    expect((await listKeys(org.id)).map((k) => k.id)).not.toContain(doomed.id);
    await expect(RecordingSocket.connect(t.baseUrl, doomed.apiKey)).rejects.toThrow('unauthorized');
  });

  it('answers requests arriving together, whose keys are looked up together, each for its own key', async () => {
    const tenants = await Promise.all(
      ['Together A', 'Together B', 'Together C'].map(async (name) => {
        const created = await t.createOrganization(name);
        return { ...created, contactId: await createContact(t.db, created.id, { displayName: `${name} customer` }) };
      }),
    );
    const doomed = (await t.request('POST', keysPath(tenants[0].id), { token: ADMIN_TOKEN })).body;
    await t.request('DELETE', `${keysPath(tenants[0].id)}/${doomed.id}`, { token: ADMIN_TOKEN });
    const contactsOf = async (apiKey: string) => {
      const answer = await t.request('GET', '/api/contacts', { token: apiKey });
      return answer.status === 200 ? answer.body.data.map((contact: { id: string }) => contact.id) : answer.status;
    };

    const asked = Array.from({ length: 60 }, (_, i) => (i % 10 === 9 ? doomed.apiKey : i % 10 === 8 ? 'mi_live_not_a_key' : tenants[i % 3].apiKey));
    const answers = await Promise.all(asked.map(contactsOf));

    answers.forEach((answer, i) => {
      const tenant = tenants.find((candidate) => candidate.apiKey === asked[i]);
      expect(answer).toEqual(tenant ? [tenant.contactId] : 401);
    });
  });

  it("disconnects the sockets opened with a revoked key within seconds, and only those", async () => {
    const doomed = (await t.request('POST', keysPath(org.id), { token: ADMIN_TOKEN })).body;
    const revokedSocket = await RecordingSocket.connect(t.baseUrl, doomed.apiKey);
    const keptSocket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    sockets.push(revokedSocket, keptSocket);
    const disconnected = new Promise<{ reason: string; after: number }>((resolve) => {
      revokedSocket.socket.once('disconnect', (reason) => resolve({ reason, after: Date.now() - revokedAt }));
    });
    const revokedAt = Date.now();
    expect((await t.request('DELETE', `${keysPath(org.id)}/${doomed.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    const { reason, after } = await disconnected;
    expect(reason).toBe('io server disconnect');
    expect(after).toBeLessThan(5000);
    expect(keptSocket.socket.connected).toBe(true);
  });

  it('ends the scoped tokens minted with a revoked key, on REST and on their sockets, and keeps the others', async () => {
    const doomed = (await t.request('POST', keysPath(org.id), { token: ADMIN_TOKEN })).body;
    const mint = async (apiKey: string) => (await t.request('POST', '/api/auth/tokens', { token: apiKey, body: { ttlSeconds: 3600 } })).body.token as string;
    const doomedToken = await mint(doomed.apiKey);
    const keptToken = await mint(org.apiKey);
    expect(await works(doomedToken)).toBe(200);
    const tokenSocket = await RecordingSocket.connect(t.baseUrl, doomedToken);
    sockets.push(tokenSocket);
    const disconnected = new Promise<string>((resolve) => tokenSocket.socket.once('disconnect', (reason) => resolve(reason)));
    expect((await t.request('DELETE', `${keysPath(org.id)}/${doomed.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    const refused = await t.request('GET', '/api/conversations', { token: doomedToken });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toContain('revoked');
    await expect(disconnected).resolves.toBe('io server disconnect');
    await expect(RecordingSocket.connect(t.baseUrl, doomedToken)).rejects.toThrow('unauthorized');
    expect(await works(keptToken)).toBe(200);
  });

  it('answers 404 for another organization, an unknown key or organization, and 401 without the admin token', async () => {
    const theirs = (await listKeys(other.id))[0];
    expect((await t.request('DELETE', `${keysPath(org.id)}/${theirs.id}`, { token: ADMIN_TOKEN })).status).toBe(404);
    expect(await works(other.apiKey)).toBe(200);
    expect((await t.request('DELETE', `${keysPath(org.id)}/not-a-uuid`, { token: ADMIN_TOKEN })).status).toBe(404);
    expect((await t.request('DELETE', `${keysPath(org.id)}/00000000-0000-4000-8000-000000000000`, { token: ADMIN_TOKEN })).status).toBe(404);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect((await t.request('GET', keysPath(id), { token: ADMIN_TOKEN })).status).toBe(404);
      expect((await t.request('POST', keysPath(id), { token: ADMIN_TOKEN })).status).toBe(404);
    }
    expect((await t.request('GET', keysPath(org.id), { token: org.apiKey })).status).toBe(401);
    expect((await t.request('POST', keysPath(org.id))).status).toBe(401);
    expect((await t.request('DELETE', `${keysPath(org.id)}/${theirs.id}`, { token: org.apiKey })).status).toBe(401);
  });
});
