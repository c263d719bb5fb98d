import type { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, webhookOf } from '../src/sandbox/webhook-events';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { waitUntil } from './support/service-process';
import type { TestApp } from './support/test-app';

describe('inbox read API fed by a signed webhook', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox());
  });
  afterAll(async () => {
    await t.close();
    await sandbox.stop();
  });

  it('reads back, through every read route, a Messenger message that came in through the webhook', async () => {
    const org = await t.createOrganization('Webhook Reader');
    const page = sandbox.addPage({ id: '990001', name: 'Reader Page' });
    await connectPage(t, sandbox, org.apiKey, page);
    const sentAt = Date.parse('2025-06-01T08:00:00.000Z');
    const delivery = webhookOf('messenger', page.id, messageEvent('messenger', { account: page.id, user: '770001' }, { text: 'Hi there', timestamp: sentAt, mid: 'm_read_back_1' }));
    expect((await sandbox.postWebhook(delivery)).status).toBe(200);

    const conversation = await waitUntil(
      async () => (await t.request('GET', '/api/conversations?channel=facebook_messenger', { token: org.apiKey })).body.data[0],
      10_000,
      'the conversation to appear',
    );
    expect(conversation).toMatchObject({ channel: 'facebook_messenger', lastInboundAt: '2025-06-01T08:00:00.000Z', lastMessageAt: '2025-06-01T08:00:00.000Z' });

    const messages = await t.request('GET', `/api/conversations/${conversation.id}/messages`, { token: org.apiKey });
    expect(messages.body).toEqual({
      data: [expect.objectContaining({ text: 'Hi there', direction: 'inbound', status: 'received', externalId: 'm_read_back_1', sentAt: '2025-06-01T08:00:00.000Z' })],
      nextCursor: null,
    });

    const contact = await t.request('GET', `/api/contacts/${conversation.contactId}`, { token: org.apiKey });
    expect(contact.body.identities).toEqual([{ channel: 'facebook_messenger', externalId: '770001', pageId: page.id }]);

    const stats = await t.request('GET', '/api/stats/messages?from=2025-06-01&to=2025-06-01', { token: org.apiKey });
    expect(stats.body.data).toEqual([{ day: '2025-06-01', channel: 'facebook_messenger', direction: 'inbound', count: 1 }]);
  });
});
