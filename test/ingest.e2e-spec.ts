import { DataSource } from 'typeorm';
import { IngestService } from '../src/messaging/ingest/ingest.service';
import type { InboundItem, InboundScope } from '../src/messaging/ingest/inbound-item';
import { MessageChannel } from '../src/messaging/message-channel';
import { TestApp } from './support/test-app';

/**
 * The ingest takes channel-neutral items, whoever mapped them: these tests hand it items built by
 * hand (no Meta payload, no webhook) and read what it stored.
 */
describe('the ingest of channel-neutral inbound items', () => {
  let t: TestApp;
  let ingest: IngestService;
  let scope: InboundScope;
  const at = Date.UTC(2026, 10, 30, 12, 0, 0);

  beforeAll(async () => {
    t = await TestApp.start();
    ingest = t.app.get(IngestService);
    const org = await t.createOrganization('Ingest');
    scope = { organizationId: org.id, channel: MessageChannel.FacebookMessenger, accountId: 'account-1' };
  });
  afterAll(() => t.close());

  const message = (userId: string, mid: string, text: string, timestamp = at, from: 'contact' | 'page' = 'contact'): InboundItem => ({
    type: 'message',
    userId,
    mid,
    timestamp,
    from,
    text,
    replyToMid: null,
    attachments: [],
    metadata: null,
  });
  const messages = async (userId: string) =>
    (
      await t.db.query(
        `SELECT m.external_id, m.direction, m.text, m.status, m.reactions, m.edit_count, m.deleted_at IS NOT NULL AS deleted, m.read_at IS NOT NULL AS read
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contact_identities i ON i.contact_id = c.contact_id AND i.channel = c.channel
         WHERE i.organization_id = $1 AND i.account_id = $2 AND i.external_id = $3 ORDER BY m.sent_at, m.external_id`,
        [scope.organizationId, scope.accountId, userId],
      )
    ).rows;

  it('stores a message, an echo, a read receipt, a reaction, an edit and an unsend in one contact, identity and conversation', async () => {
    await ingest.apply(scope, [
      message('person-1', 'mid-in-1', 'Hello'),
      message('person-1', 'mid-echo-1', 'Hi, how can we help?', at + 1000, 'page'),
      { type: 'read', userId: 'person-1', timestamp: at + 2000, watermark: at + 1500, mid: null },
      { type: 'reaction', userId: 'person-1', timestamp: at + 3000, mid: 'mid-echo-1', by: 'contact', action: 'react', reaction: 'love', emoji: '❤️' },
      message('person-1', 'mid-in-2', 'Typo here', at + 4000),
      { type: 'edit', userId: 'person-1', timestamp: at + 5000, mid: 'mid-in-2', text: 'Fixed', editCount: 1 },
      message('person-1', 'mid-in-3', 'Oops', at + 6000),
      { type: 'unsend', userId: 'person-1', timestamp: at + 7000, mid: 'mid-in-3' },
    ]);
    expect(await messages('person-1')).toEqual([
      { external_id: 'mid-in-1', direction: 'inbound', text: 'Hello', status: 'received', reactions: [], edit_count: 0, deleted: false, read: false },
      {
        external_id: 'mid-echo-1',
        direction: 'outbound',
        text: 'Hi, how can we help?',
        status: 'read',
        reactions: [{ by: 'contact', reaction: 'love', emoji: '❤️' }],
        edit_count: 0,
        deleted: false,
        read: true,
      },
      { external_id: 'mid-in-2', direction: 'inbound', text: 'Fixed', status: 'received', reactions: [], edit_count: 1, deleted: false, read: false },
      { external_id: 'mid-in-3', direction: 'inbound', text: null, status: 'received', reactions: [], edit_count: 0, deleted: true, read: false },
    ]);
    const identities = await t.db.query(`SELECT channel, account_id, external_id FROM contact_identities WHERE organization_id = $1`, [scope.organizationId]);
    expect(identities.rows).toEqual([{ channel: 'facebook_messenger', account_id: 'account-1', external_id: 'person-1' }]);
  });

  it('makes one contact and one conversation for a new person however many first messages race', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => ingest.apply(scope, [message('person-race', `mid-race-${i}`, `hi ${i}`, at + i)])));
    const contacts = await t.db.query(
      `SELECT DISTINCT i.contact_id, c.id AS conversation_id FROM contact_identities i JOIN conversations c ON c.contact_id = i.contact_id
       WHERE i.organization_id = $1 AND i.external_id = 'person-race'`,
      [scope.organizationId],
    );
    expect(contacts.rows).toHaveLength(1);
    expect(await messages('person-race')).toHaveLength(8);
    // The losers' contacts were removed, not left without an identity.
    const orphans = await t.db.query(
      `SELECT count(*)::int AS n FROM contacts k WHERE organization_id = $1 AND NOT EXISTS (SELECT 1 FROM contact_identities i WHERE i.contact_id = k.id)`,
      [scope.organizationId],
    );
    expect(orphans.rows[0].n).toBe(0);
  });

  it('gives the same person on another account of the organization a contact of that account', async () => {
    await ingest.apply({ ...scope, accountId: 'account-2' }, [message('person-1', 'mid-other-account', 'Hello again')]);
    const { rows } = await t.db.query(`SELECT account_id FROM contact_identities WHERE organization_id = $1 AND external_id = 'person-1' ORDER BY account_id`, [
      scope.organizationId,
    ]);
    expect(rows).toEqual([{ account_id: 'account-1' }, { account_id: 'account-2' }]);
  });

  it('applies a redelivered message once', async () => {
    await ingest.apply(scope, [message('person-2', 'mid-twice', 'Once')]);
    await ingest.apply(scope, [message('person-2', 'mid-twice', 'Once')]);
    expect(await messages('person-2')).toHaveLength(1);
    const { rows } = await t.db.query(
      `SELECT c.unread_count FROM conversations c JOIN contact_identities i ON i.contact_id = c.contact_id WHERE i.external_id = 'person-2' AND i.organization_id = $1`,
      [scope.organizationId],
    );
    expect(rows).toEqual([{ unread_count: 1 }]);
  });

  describe('items of many conversations applied together in one transaction', () => {
    const scopeOf = async (name: string): Promise<InboundScope> => ({
      organizationId: (await t.createOrganization(name)).id,
      channel: MessageChannel.FacebookMessenger,
      accountId: `account-${name}`,
    });
    /** One delivery's worth per conversation, in order: every kind of item, with mids unique to `p`. */
    const deliveries = (p: string): { userId: string; items: InboundItem[] }[] => {
      const withFile = { ...(message('new-a', `${p}file`, 'see this', at + 5) as Extract<InboundItem, { type: 'message' }>) };
      withFile.attachments = [{ type: 'image', url: 'http://127.0.0.1:9/cat.png', remoteUrl: null, payload: { url: 'http://127.0.0.1:9/cat.png' } }];
      return [
        { userId: 'new-a', items: [message('new-a', `${p}a1`, 'first', at + 1), message('new-a', `${p}a2`, 'second', at + 2)] },
        { userId: 'known', items: [message('known', `${p}k1`, 'again', at + 3), message('known', `${p}k1`, 'again', at + 3)] },
        { userId: 'new-b', items: [{ type: 'edit', userId: 'new-b', timestamp: at + 9, mid: `${p}b1`, text: 'edited first', editCount: 1 }] },
        { userId: 'new-a', items: [message('new-a', `${p}echo`, 'we answer', at + 4, 'page'), withFile] },
        { userId: 'new-b', items: [message('new-b', `${p}b1`, 'before the edit', at + 6), { ...(message('new-b', `${p}qr`, 'Red', at + 7) as Extract<InboundItem, { type: 'message' }>), metadata: { quickReplyPayload: 'RED' } }] },
        { userId: 'known', items: [{ type: 'reaction', userId: 'known', timestamp: at + 8, mid: `${p}k1`, by: 'contact', action: 'react', reaction: 'like', emoji: '👍' }] },
        { userId: 'new-a', items: [{ type: 'postback', userId: 'new-a', timestamp: at + 10, mid: `${p}pb`, title: 'Start', metadata: { payload: 'START' } }] },
        { userId: 'new-a', items: [{ type: 'read', userId: 'new-a', timestamp: at + 11, watermark: at + 4, mid: null }, message('new-a', `${p}a3`, 'last', at + 12)] },
      ];
    };
    /** What an organization holds, with its own mid prefix taken off. */
    const state = async ({ organizationId }: InboundScope, p: string) => {
      const strip = (mid: string | null) => mid?.replace(p, '') ?? null;
      const messages = await t.db.query(
        `SELECT i.external_id AS person, m.external_id, m.direction, m.kind, m.status, m.text, m.reactions, m.edit_count, m.deleted_at IS NOT NULL AS deleted,
           m.read_at IS NOT NULL AS read, m.metadata, (SELECT count(*)::int FROM attachments a WHERE a.message_id = m.id) AS files
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contact_identities i ON i.contact_id = c.contact_id
         WHERE m.organization_id = $1 ORDER BY m.sent_at, m.external_id`,
        [organizationId],
      );
      const conversations = await t.db.query(
        `SELECT i.external_id AS person, c.unread_count, c.last_message_at, c.last_inbound_at
         FROM conversations c JOIN contact_identities i ON i.contact_id = c.contact_id WHERE c.organization_id = $1 ORDER BY i.external_id`,
        [organizationId],
      );
      const contacts = await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE organization_id = $1`, [organizationId]);
      const events = await t.db.query(`SELECT type, data->>'externalId' AS mid FROM domain_events WHERE organization_id = $1 AND type IS NOT NULL ORDER BY position`, [
        organizationId,
      ]);
      return {
        messages: messages.rows.map((row) => ({ ...row, external_id: strip(row.external_id) })),
        conversations: conversations.rows,
        contacts: contacts.rows[0].n,
        events: events.rows.map((row) => ({ ...row, mid: strip(row.mid) })),
      };
    };

    it('store the same messages, contacts, conversations and events as the same items applied one by one', async () => {
      const [apart, together] = [await scopeOf('apart'), await scopeOf('together')];
      // A person both organizations already know.
      await ingest.apply(apart, [message('known', 'apart-k0', 'earlier', at)]);
      await ingest.apply(together, [message('known', 'together-k0', 'earlier', at)]);

      for (const { items } of deliveries('apart-')) await ingest.apply(apart, items);
      await t.app.get(DataSource).transaction((manager) =>
        ingest.applyTogether(manager, deliveries('together-').map(({ items }) => ({ scope: together, items }))),
      );

      const [expected, actual] = [await state(apart, 'apart-'), await state(together, 'together-')];
      expect(actual).toEqual(expected);
      // The sequence did what it says: a redelivery stored once, the early edit held and applied, a file to copy.
      expect(actual.messages.map((row: { external_id: string }) => row.external_id)).toEqual(['k0', 'a1', 'a2', 'k1', 'echo', 'file', 'b1', 'qr', 'pb', 'a3']);
      expect(actual.messages.find((row: { external_id: string }) => row.external_id === 'b1')).toMatchObject({ text: 'edited first', edit_count: 1 });
      expect(actual.messages.find((row: { external_id: string }) => row.external_id === 'file')).toMatchObject({ files: 1 });
      expect(actual.contacts).toBe(3);
    });

    it('make one contact of a new person whose first messages came in several deliveries of the batch', async () => {
      const scope = await scopeOf('first-together');
      await t.app.get(DataSource).transaction((manager) =>
        ingest.applyTogether(manager, [
          { scope, items: [message('newcomer', 'ft-1', 'hi', at)] },
          { scope, items: [message('newcomer', 'ft-2', 'anyone?', at + 1)] },
        ]),
      );
      const { rows } = await t.db.query(
        `SELECT count(DISTINCT c.id)::int AS conversations, count(DISTINCT k.id)::int AS contacts, max(c.unread_count) AS unread
         FROM contacts k JOIN conversations c ON c.contact_id = k.id WHERE k.organization_id = $1`,
        [scope.organizationId],
      );
      expect(rows).toEqual([{ conversations: 1, contacts: 1, unread: 2 }]);
    });
  });
});
