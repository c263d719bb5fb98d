import { createContactWithConversation, createMessage } from './support/factories';
import { TestApp } from './support/test-app';

describe('GET /api/stats/messages', () => {
  let t: TestApp;
  let acme: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };

  beforeAll(async () => {
    t = await TestApp.start();
    acme = await t.createOrganization('Acme');
    other = await t.createOrganization('Other');
    const fb = (await createContactWithConversation(t.db, acme.id, { channel: 'facebook_messenger' })).conversationId;
    const ig = (await createContactWithConversation(t.db, acme.id, { channel: 'instagram_dm' })).conversationId;
    const elsewhere = (await createContactWithConversation(t.db, other.id)).conversationId;
    const put = (conversationId: string, sentAt: string, direction: 'inbound' | 'outbound' = 'inbound') =>
      createMessage(t.db, conversationId, { sentAt, direction });
    // Just outside the range on both sides.
    await put(fb, '2025-05-09T23:59:59.999999Z');
    await put(fb, '2025-05-12T00:00:00.000000Z');
    // First day, from its first microsecond.
    await put(fb, '2025-05-10T00:00:00.000000Z');
    await put(fb, '2025-05-10T08:00:00Z');
    await put(fb, '2025-05-10T09:00:00Z', 'outbound');
    await put(ig, '2025-05-10T12:00:00Z');
    // Last day, to its last microsecond.
    await put(ig, '2025-05-11T23:59:59.999999Z', 'outbound');
    await put(ig, '2025-05-11T10:00:00Z', 'outbound');
    await put(fb, '2025-05-11T10:00:00Z');
    // Another organization, same days.
    await put(elsewhere, '2025-05-10T10:00:00Z');
  });
  afterAll(() => t.close());

  it('counts per UTC day × channel × direction, both days inclusive', async () => {
    const res = await t.request('GET', '/api/stats/messages?from=2025-05-10&to=2025-05-11', { token: acme.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [
        { day: '2025-05-10', channel: 'facebook_messenger', direction: 'inbound', count: 2 },
        { day: '2025-05-10', channel: 'facebook_messenger', direction: 'outbound', count: 1 },
        { day: '2025-05-10', channel: 'instagram_dm', direction: 'inbound', count: 1 },
        { day: '2025-05-11', channel: 'facebook_messenger', direction: 'inbound', count: 1 },
        { day: '2025-05-11', channel: 'instagram_dm', direction: 'outbound', count: 2 },
      ],
    });
  });

  it('counts a single day', async () => {
    const res = await t.request('GET', '/api/stats/messages?from=2025-05-12&to=2025-05-12', { token: acme.apiKey });
    expect(res.body.data).toEqual([{ day: '2025-05-12', channel: 'facebook_messenger', direction: 'inbound', count: 1 }]);
  });

  it('answers an empty list for days without messages', async () => {
    const res = await t.request('GET', '/api/stats/messages?from=2024-01-01&to=2024-12-31', { token: acme.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [] });
  });

  it.each([
    ['no from', '?to=2025-05-11', 'from'],
    ['no to', '?from=2025-05-10', 'to'],
    ['a timestamp instead of a day', '?from=2025-05-10T00:00:00Z&to=2025-05-11', 'from'],
    ['a day that does not exist', '?from=2025-02-30&to=2025-03-01', 'from'],
    ['a non-date', '?from=yesterday&to=2025-05-11', 'from'],
    ['from after to', '?from=2025-05-12&to=2025-05-11', 'from'],
    ['more than 366 days', '?from=2024-01-01&to=2025-01-01', '366'],
  ])('refuses %s with 400', async (_, query, mentioned) => {
    const res = await t.request('GET', `/api/stats/messages${query}`, { token: acme.apiKey });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(mentioned);
  });

  it('answers 401 without a valid API key', async () => {
    expect((await t.request('GET', '/api/stats/messages?from=2025-05-10&to=2025-05-11')).status).toBe(401);
  });

  it('documents the route with the stats view', async () => {
    const res = await t.request('GET', '/docs-json');
    const schema = res.body.paths['/api/stats/messages'].get.responses['200'].content['application/json'].schema;
    expect(schema.$ref).toContain('MessageStatsView');
  });
});
