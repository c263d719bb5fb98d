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
});
