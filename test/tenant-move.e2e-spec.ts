import { DataSource, DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { MIGRATIONS } from '../src/database/migrations';
import { TenantScopedIdentities1795420000000 } from '../src/database/migrations/1795420000000-TenantScopedIdentities';
import { ContactIdentities1795600000000 } from '../src/database/migrations/1795600000000-ContactIdentities';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { deliveryEvent, messageEvent, newMid, Parties, webhookOf } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { connectPage, startWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

/**
 * A Page (with its Instagram account) connected by one organization, disconnected, then
 * connected by another: Meta keeps the customer's PSID / IGSID, and the two organizations must
 * still never share a contact, a conversation, a message or a cascade.
 */
describe('a Page that moves between organizations', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  const PAGE = '305000000000001';
  const IG = '17841430500000001';
  const messenger: Parties = { account: PAGE, user: 'psid-moving-customer' };
  const instagram: Parties = { account: IG, user: 'igsid-moving-customer' };
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };

  const get = (apiKey: string, path: string) => t.request('GET', path, { token: apiKey });
  const conversations = async (apiKey: string) => (await get(apiKey, '/api/conversations?limit=100')).body.data as any[];
  const messagesOf = async (apiKey: string, conversationId: string) => (await get(apiKey, `/api/conversations/${conversationId}/messages?limit=100`)).body.data as any[];
  const write = async (platform: 'messenger' | 'instagram', p: Parties, text: string) => {
    const mid = newMid(platform);
    expect((await sandbox.postWebhook(webhookOf(platform, p.account, messageEvent(platform, p, { mid, text })))).status).toBe(200);
    return mid;
  };
  const conversationWith = async (apiKey: string, channel: string, mid: string): Promise<{ conversation: any; messages: any[] }> =>
    (await eventually(
      async () => {
        for (const conversation of await conversations(apiKey)) {
          if (conversation.channel !== channel) continue;
          const messages = await messagesOf(apiKey, conversation.id);
          if (messages.some((m) => m.externalId === mid)) return { conversation, messages };
        }
        return undefined;
      },
      (found) => found !== undefined,
    ))!;

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox());
    sandbox.addPage({ id: PAGE, name: 'Moving Page', instagram: { id: IG, username: 'moving.shop' } });
    a = await t.createOrganization('First Owner');
    b = await t.createOrganization('Second Owner');
  });
  afterAll(async () => {
    await t.close();
    await sandbox.stop();
  });

  it('gives the new owner its own contact and conversation, shows it nothing of the old one, and leaves the old history whole', async () => {
    sandbox.addProfile(messenger.user, { first_name: 'Ana', last_name: 'Before' });
    await connectPage(t, sandbox, a.apiKey, { id: PAGE });
    const aMid = await write('messenger', messenger, 'Hello first owner');
    const aIgMid = await write('instagram', instagram, 'Hello first owner on Instagram');
    const aSide = await conversationWith(a.apiKey, 'facebook_messenger', aMid);
    const aIgSide = await conversationWith(a.apiKey, 'instagram_dm', aIgMid);
    const aContactId = aSide.conversation.contactId;
    await eventually(async () => (await get(a.apiKey, `/api/contacts/${aContactId}`)).body, (c) => c.displayName === 'Ana Before');

    expect((await t.request('DELETE', '/api/meta/connection', { token: a.apiKey })).status).toBe(200);
    sandbox.addProfile(messenger.user, { first_name: 'Ana', last_name: 'After' });
    await connectPage(t, sandbox, b.apiKey, { id: PAGE });
    const bMid = await write('messenger', messenger, 'Hello second owner');
    const bIgMid = await write('instagram', instagram, 'Hello second owner on Instagram');

    // The new owner: a contact and conversations of its own, holding only what came after the move.
    const bSide = await conversationWith(b.apiKey, 'facebook_messenger', bMid);
    const bIgSide = await conversationWith(b.apiKey, 'instagram_dm', bIgMid);
    const bContactId = bSide.conversation.contactId;
    expect(bContactId).not.toBe(aContactId);
    expect(bSide.conversation.id).not.toBe(aSide.conversation.id);
    expect(bIgSide.conversation.id).not.toBe(aIgSide.conversation.id);
    expect(bSide.messages.map((m) => m.externalId)).toEqual([bMid]);
    expect(bIgSide.messages.map((m) => m.externalId)).toEqual([bIgMid]);
    expect(bSide.conversation.unreadCount).toBe(1);
    const bConversationIds = (await conversations(b.apiKey)).map((c) => c.id).sort();
    expect(bConversationIds).toEqual([bSide.conversation.id, bIgSide.conversation.id].sort());
    const bContact = await eventually(async () => (await get(b.apiKey, `/api/contacts/${bContactId}`)).body, (c) => c.displayName === 'Ana After');
    expect(bContact.identities).toEqual([{ channel: 'facebook_messenger', externalId: messenger.user, pageId: PAGE }]);
    const bIgContactId = bIgSide.conversation.contactId;
    expect(bIgContactId).not.toBe(aIgSide.conversation.contactId);
    expect((await get(b.apiKey, `/api/contacts/${bIgContactId}`)).body.identities).toEqual([{ channel: 'instagram_dm', externalId: instagram.user, igAccountId: IG }]);
    // Nothing of the old owner's is reachable from the new one (and the reverse).
    expect((await get(b.apiKey, `/api/contacts/${aContactId}`)).status).toBe(404);
    expect((await get(b.apiKey, `/api/conversations/${aSide.conversation.id}/messages`)).status).toBe(404);
    expect((await get(a.apiKey, `/api/contacts/${bContactId}`)).status).toBe(404);
    expect((await get(a.apiKey, `/api/conversations/${bSide.conversation.id}/messages`)).status).toBe(404);

    // The new owner can answer that contact, on both channels, and its receipts land in its conversation.
    sandbox.clear();
    const sent = await t.request('POST', '/api/messaging/send?wait=true', { token: b.apiKey, body: { channel: 'facebook_messenger', contactId: bContactId, text: 'Hi from B' } });
    expect(sent.status).toBe(200);
    expect(sent.body.messages[0]).toMatchObject({ status: 'published', conversationId: bSide.conversation.id });
    const igSent = await t.request('POST', '/api/messaging/send?wait=true', { token: b.apiKey, body: { channel: 'instagram_dm', contactId: bIgContactId, text: 'Hi on IG from B' } });
    expect(igSent.status).toBe(200);
    expect(igSent.body.messages[0]).toMatchObject({ status: 'published', conversationId: bIgSide.conversation.id });
    expect(sandbox.sent().map((s) => [s.recipientId, s.body.message?.text])).toEqual([
      [messenger.user, 'Hi from B'],
      [instagram.user, 'Hi on IG from B'],
    ]);
    await sandbox.postWebhook(webhookOf('messenger', PAGE, deliveryEvent(messenger, { watermark: Date.now() + 1000 })));
    await eventually(async () => (await messagesOf(b.apiKey, bSide.conversation.id)).find((m) => m.direction === 'outbound'), (m) => m?.status === 'delivered');

    // The old owner keeps its history, untouched by anything after the move.
    const aAfter = await messagesOf(a.apiKey, aSide.conversation.id);
    expect(aAfter.map((m) => [m.externalId, m.text, m.status])).toEqual([[aMid, 'Hello first owner', 'received']]);
    expect((await messagesOf(a.apiKey, aIgSide.conversation.id)).map((m) => m.externalId)).toEqual([aIgMid]);
    const aContact = (await get(a.apiKey, `/api/contacts/${aContactId}`)).body;
    expect(aContact.displayName).toBe('Ana Before');
    expect(aContact.identities).toEqual(expect.arrayContaining([{ channel: 'facebook_messenger', externalId: messenger.user, pageId: PAGE }]));
    expect((await conversations(a.apiKey)).map((c) => c.id).sort()).toEqual([aSide.conversation.id, aIgSide.conversation.id].sort());

    // Removing the old owner takes its rows and none of the new owner's.
    await t.db.query('DELETE FROM organizations WHERE id = $1', [a.id]);
    expect((await messagesOf(b.apiKey, bSide.conversation.id)).map((m) => m.text)).toEqual(['Hello second owner', 'Hi from B']);
    expect((await get(b.apiKey, `/api/contacts/${bContactId}`)).body.identities).toHaveLength(1);
    expect((await messagesOf(b.apiKey, bIgSide.conversation.id)).map((m) => m.text)).toEqual(['Hello second owner on Instagram', 'Hi on IG from B']);
  });

  it('refuses rows that would tie one organization to another organization\'s contact, conversation or message', async () => {
    const { rows: [contact] } = await t.db.query(`SELECT id FROM contacts WHERE organization_id = $1 LIMIT 1`, [b.id]);
    const other = await t.createOrganization('Third');
    await expect(t.db.query(`INSERT INTO conversations (organization_id, contact_id, channel, last_message_at) VALUES ($1, $2, 'facebook_messenger', now())`, [other.id, contact.id])).rejects.toThrow(/foreign key/);
    await expect(t.db.query(`INSERT INTO contact_identities (organization_id, contact_id, channel, account_id, external_id) VALUES ($1, $2, 'facebook_messenger', 'p', 'u')`, [other.id, contact.id])).rejects.toThrow(/foreign key/);
    const { rows: [conversation] } = await t.db.query(`SELECT id FROM conversations WHERE organization_id = $1 LIMIT 1`, [b.id]);
    await expect(
      t.db.query(`INSERT INTO messages (organization_id, conversation_id, channel, direction, sender, status, sent_at) VALUES ($1, $2, 'facebook_messenger', 'inbound', 'contact', 'received', now())`, [other.id, conversation.id]),
    ).rejects.toThrow(/foreign key/);
  });
});

describe('the migration to per-organization identities', () => {
  it('repairs a conversation left on another organization\'s contact by a Page that moved, keeping every message', async () => {
    const url = await createTestDatabase();
    const index = MIGRATIONS.indexOf(TenantScopedIdentities1795420000000);
    const before = new DataSource({ ...dataSourceOptions(url, 2), migrations: MIGRATIONS.slice(0, index) } as DataSourceOptions);
    await before.initialize();
    await before.runMigrations();
    const one = async (sql: string, params: unknown[] = []) => (await before.query(sql, params))[0];
    const a = await one(`INSERT INTO organizations (name) VALUES ('A') RETURNING id`);
    const b = await one(`INSERT INTO organizations (name) VALUES ('B') RETURNING id`);
    const contact = await one(`INSERT INTO contacts (organization_id, display_name) VALUES ($1, 'Ana of A') RETURNING id`, [a.id]);
    await before.query(`INSERT INTO contact_facebook (organization_id, contact_id, page_id, psid) VALUES ($1, $2, 'page-1', 'psid-1')`, [a.id, contact.id]);
    const aConversation = await one(`INSERT INTO conversations (organization_id, contact_id, channel, last_message_at) VALUES ($1, $2, 'facebook_messenger', now()) RETURNING id`, [a.id, contact.id]);
    // What the unscoped lookup did: B's conversation on A's contact.
    const bConversation = await one(`INSERT INTO conversations (organization_id, contact_id, channel, last_message_at) VALUES ($1, $2, 'facebook_messenger', now()) RETURNING id`, [b.id, contact.id]);
    for (const [org, conversation, text] of [[a.id, aConversation.id, 'to A'], [b.id, bConversation.id, 'to B']]) {
      await before.query(`INSERT INTO messages (organization_id, conversation_id, channel, direction, sender, status, text, sent_at) VALUES ($1, $2, 'facebook_messenger', 'inbound', 'contact', 'received', $3, now())`, [org, conversation, text]);
    }
    await before.destroy();

    const after = new DataSource(dataSourceOptions(url, 2));
    await after.initialize();
    try {
      await after.runMigrations();
      const [bNow] = await after.query(`SELECT c.contact_id, k.organization_id, k.display_name FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE c.id = $1`, [bConversation.id]);
      expect(bNow.contact_id).not.toBe(contact.id);
      expect(bNow.organization_id).toBe(b.id);
      expect(bNow.display_name).toBeNull();
      expect(await after.query(`SELECT organization_id, page_id, psid FROM contact_facebook WHERE contact_id = $1`, [bNow.contact_id])).toEqual([{ organization_id: b.id, page_id: 'page-1', psid: 'psid-1' }]);
      const [aNow] = await after.query(`SELECT contact_id FROM conversations WHERE id = $1`, [aConversation.id]);
      expect(aNow.contact_id).toBe(contact.id);
      const texts = await after.query(`SELECT organization_id, text FROM messages ORDER BY text`);
      expect(texts).toEqual([{ organization_id: a.id, text: 'to A' }, { organization_id: b.id, text: 'to B' }]);
    } finally {
      await after.destroy();
    }
  });
});

describe('the migration to one identity model', () => {
  it('carries every PSID and IGSID over with its contact, account and time, and keeps the old tables readable as views', async () => {
    const url = await createTestDatabase();
    const index = MIGRATIONS.indexOf(ContactIdentities1795600000000);
    const before = new DataSource({ ...dataSourceOptions(url, 2), migrations: MIGRATIONS.slice(0, index) } as DataSourceOptions);
    await before.initialize();
    await before.runMigrations();
    const one = async (sql: string, params: unknown[] = []) => (await before.query(sql, params))[0];
    const org = await one(`INSERT INTO organizations (name) VALUES ('A') RETURNING id`);
    const contact = await one(`INSERT INTO contacts (organization_id) VALUES ($1) RETURNING id`, [org.id]);
    const fb = await one(
      `INSERT INTO contact_facebook (organization_id, contact_id, page_id, psid, created_at) VALUES ($1, $2, 'page-1', 'psid-1', '2026-01-02T03:04:05Z') RETURNING id`,
      [org.id, contact.id],
    );
    const ig = await one(
      `INSERT INTO contact_instagram (organization_id, contact_id, ig_account_id, igsid, created_at) VALUES ($1, $2, 'ig-1', 'igsid-1', '2026-02-03T04:05:06Z') RETURNING id`,
      [org.id, contact.id],
    );
    await before.destroy();

    const after = new DataSource(dataSourceOptions(url, 2));
    await after.initialize();
    try {
      await after.runMigrations();
      const rows = await after.query(
        `SELECT id, organization_id, contact_id, channel, account_id, external_id, created_at FROM contact_identities ORDER BY created_at`,
      );
      expect(rows).toEqual([
        { id: fb.id, organization_id: org.id, contact_id: contact.id, channel: 'facebook_messenger', account_id: 'page-1', external_id: 'psid-1', created_at: new Date('2026-01-02T03:04:05Z') },
        { id: ig.id, organization_id: org.id, contact_id: contact.id, channel: 'instagram_dm', account_id: 'ig-1', external_id: 'igsid-1', created_at: new Date('2026-02-03T04:05:06Z') },
      ]);
      expect(await after.query(`SELECT page_id, psid FROM contact_facebook`)).toEqual([{ page_id: 'page-1', psid: 'psid-1' }]);
      expect(await after.query(`SELECT ig_account_id, igsid FROM contact_instagram`)).toEqual([{ ig_account_id: 'ig-1', igsid: 'igsid-1' }]);
      // One contact per (organization, channel, account, person): a second mapping is refused.
      await expect(
        after.query(
          `INSERT INTO contact_identities (organization_id, contact_id, channel, account_id, external_id) VALUES ($1, $2, 'facebook_messenger', 'page-1', 'psid-1')`,
          [org.id, contact.id],
        ),
      ).rejects.toThrow(/unique/);
    } finally {
      await after.destroy();
    }
  });
});
