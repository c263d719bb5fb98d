import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import {
  deliveryEvent,
  echoEvent,
  editEvent,
  messageEvent,
  newMid,
  Parties,
  postbackEvent,
  reactionEvent,
  readEvent,
  referralEvent,
  unsendEvent,
  webhookBody,
  webhookOf,
} from '../src/sandbox/webhook-events';
import { startWithConnectedPage, stopWithSandbox } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';
import { eventually } from './support/eventually';

describe('inbound Messenger and Instagram events', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  const sockets: RecordingSocket[] = [];
  const PAGE = '302000000000001';
  const IG = '17841430200000001';
  let seq = 0;
  const messenger = (): Parties => ({ account: PAGE, user: `psid-${++seq}` });
  const instagram = (): Parties => ({ account: IG, user: `igsid-${++seq}` });

  const message = async (mid: string) => (await t.db.query(`SELECT * FROM messages WHERE external_id = $1`, [mid])).rows[0];
  const messageWhen = (mid: string, done: (row: any) => boolean = () => true) => eventually(() => message(mid), (row) => !!row && done(row));
  const conversationOf = async (p: Parties) =>
    (
      await t.db.query(
        `SELECT c.* FROM conversations c JOIN contact_facebook f ON f.contact_id = c.contact_id WHERE f.psid = $1
         UNION ALL SELECT c.* FROM conversations c JOIN contact_instagram i ON i.contact_id = c.contact_id WHERE i.igsid = $1`,
        [p.user],
      )
    ).rows;
  const send = (platform: 'messenger' | 'instagram', account: string, ...events: any[]) => sandbox.postWebhook(webhookOf(platform, account, ...events));

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage({ id: PAGE, name: 'Inbound Page', instagram: { id: IG, username: 'inbound.shop' } }, 'Inbound Org'));
    other = await t.createOrganization('Bystander Org');
  });
  afterAll(() => stopWithSandbox({ t, sandbox }, sockets));

  it("stores a Messenger text as an inbound message, opens the 24-hour window, fetches the sender's profile and pushes it to the organization's sockets only", async () => {
    const mine = await RecordingSocket.connect(t.baseUrl, org.apiKey);
    const theirs = await RecordingSocket.connect(t.baseUrl, other.apiKey);
    sockets.push(mine, theirs);
    const p = messenger();
    sandbox.addProfile(p.user, { first_name: 'Ana', last_name: 'Silva', profile_pic: 'https://cdn.example/ana.jpg' });
    const mid = newMid('messenger');
    const at = Date.now() - 1000;
    expect((await send('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'Hello there', timestamp: at, quickReplyPayload: 'HI' }))).status).toBe(200);

    const created = await mine.waitFor('message.created', (m) => m.externalId === mid);
    expect(created).toMatchObject({ channel: 'facebook_messenger', direction: 'inbound', sender: 'contact', status: 'received', text: 'Hello there', sentAt: new Date(at).toISOString() });
    expect(created.metadata).toEqual({ quickReplyPayload: 'HI' });
    // The pushed record is the one REST shows, field for field.
    const [stored] = (await t.request('GET', `/api/conversations/${created.conversationId}/messages`, { token: org.apiKey })).body.data;
    expect(created).toEqual(stored);
    const named = await mine.waitFor('conversation.updated', (c) => c.id === created.conversationId && c.contact.displayName === 'Ana Silva');
    expect(named).toMatchObject({ unreadCount: 1, lastInboundAt: new Date(at).toISOString(), lastMessageAt: new Date(at).toISOString() });
    expect(named.contact.avatarUrl).toBe('https://cdn.example/ana.jpg');
    const listed = (await t.request('GET', '/api/conversations?limit=100', { token: org.apiKey })).body.data;
    expect(named).toEqual(listed.find((c: { id: string }) => c.id === named.id));
    const [contact] = (await t.db.query(`SELECT c.* FROM contacts c JOIN contact_facebook f ON f.contact_id = c.id WHERE f.psid = $1`, [p.user])).rows;
    expect(contact).toMatchObject({ organization_id: org.id, first_name: 'Ana', last_name: 'Silva', display_name: 'Ana Silva' });
    const profileCall = sandbox.requests.find((r) => r.path.endsWith(`/${p.user}`));
    expect(profileCall?.query.fields).toBe('first_name,last_name,profile_pic');
    await new Promise((r) => setTimeout(r, 200));
    expect(theirs.events).toHaveLength(0);
  });

  it('applies a redelivered event once', async () => {
    const p = messenger();
    const body = webhookOf('messenger', PAGE, messageEvent('messenger', p, { text: 'only once' }));
    await sandbox.postWebhook(body);
    await sandbox.postWebhook(body);
    const mid = (body.entry[0] as any).messaging[0].message.mid;
    await messageWhen(mid);
    // A third copy after the first was applied: still one message and one unread.
    await sandbox.postWebhook(body);
    const marker = newMid('messenger');
    await send('messenger', PAGE, messageEvent('messenger', p, { mid: marker, text: 'after the copies' }));
    await messageWhen(marker);
    expect((await t.db.query(`SELECT count(*) FROM messages WHERE external_id = $1`, [mid])).rows[0].count).toBe('1');
    expect((await conversationOf(p))[0].unread_count).toBe(2);
  });

  it('gives one contact and one conversation for fifty first messages from one new sender arriving in parallel', async () => {
    const p = messenger();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send('messenger', PAGE, messageEvent('messenger', p, { text: `parallel ${i}`, timestamp: Date.now() + i }))),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await eventually(async () => (await t.db.query(`SELECT count(*) FROM messages WHERE text LIKE 'parallel %'`)).rows[0].count, (n) => n === '50', 20000);
    expect((await t.db.query(`SELECT count(*) FROM contact_facebook WHERE psid = $1`, [p.user])).rows[0].count).toBe('1');
    const conversations = await conversationOf(p);
    expect(conversations).toHaveLength(1);
    expect(conversations[0].unread_count).toBe(50);
  });

  it('stores an Instagram message with the IGSID profile and its signals, a story reply and an unsupported message', async () => {
    const p = instagram();
    sandbox.addProfile(p.user, { name: 'Bea Costa', username: 'bea.costa', profile_pic: 'https://cdn.example/bea.jpg', follower_count: 812, is_verified_user: false, is_user_follow_business: true, is_business_follow_user: false });
    const [text, story, unsupported] = [newMid('instagram'), newMid('instagram'), newMid('instagram')];
    await send(
      'instagram',
      IG,
      messageEvent('instagram', p, { mid: text, text: 'Oi!' }),
      messageEvent('instagram', p, { mid: story, text: 'Still available?', replyToStory: { url: 'https://lookaside.example/story', id: '1800001' } }),
      messageEvent('instagram', p, { mid: unsupported, isUnsupported: true }),
    );
    expect(await messageWhen(text)).toMatchObject({ channel: 'instagram_dm', direction: 'inbound', text: 'Oi!' });
    expect((await messageWhen(story)).metadata).toEqual({ replyToStory: { url: 'https://lookaside.example/story', id: '1800001' } });
    expect((await messageWhen(unsupported)).metadata).toEqual({ unsupported: true });
    const contact = await eventually(
      async () => (await t.db.query(`SELECT c.* FROM contacts c JOIN contact_instagram i ON i.contact_id = c.id WHERE i.igsid = $1`, [p.user])).rows[0],
      (row) => row?.profile_fetched_at !== null && row !== undefined,
    );
    expect(contact).toMatchObject({ display_name: 'Bea Costa', username: 'bea.costa', follower_count: 812, is_verified_user: false, is_user_follow_business: true, is_business_follow_user: false });
    expect(sandbox.requests.find((r) => r.path.endsWith(`/${p.user}`))?.query.fields).toBe(
      'name,username,profile_pic,follower_count,is_verified_user,is_user_follow_business,is_business_follow_user',
    );
  });

  it('keeps the message when the profile fetch fails, and gets the profile on a later try', async () => {
    const p = messenger();
    sandbox.addProfile(p.user, { first_name: 'Caio', last_name: 'Reis' });
    sandbox.failNext(1, { code: 2, httpStatus: 500, message: 'Service temporarily unavailable', path: new RegExp(p.user) });
    const mid = newMid('messenger');
    await send('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'profile will fail once' }));
    expect(await messageWhen(mid)).toMatchObject({ text: 'profile will fail once' });
    const contactName = async () =>
      (await t.db.query(`SELECT c.display_name FROM contacts c JOIN contact_facebook f ON f.contact_id = c.id WHERE f.psid = $1`, [p.user])).rows[0]?.display_name;
    await eventually(contactName, (name) => name === 'Caio Reis', 15000);
    expect(sandbox.requests.filter((r) => r.path.endsWith(`/${p.user}`)).length).toBe(2);
  });

  it('threads replies, and shows postbacks and referrals in the conversation', async () => {
    const p = messenger();
    const first = newMid('messenger');
    const reply = newMid('messenger');
    const postbackMid = newMid('messenger');
    const now = Date.now();
    await send(
      'messenger',
      PAGE,
      messageEvent('messenger', p, { mid: first, text: 'first', timestamp: now }),
      messageEvent('messenger', p, { mid: reply, text: 'a reply', replyToMid: first, timestamp: now + 1 }),
      postbackEvent(p, { mid: postbackMid, title: 'Talk to a human', payload: 'HUMAN', timestamp: now + 2 }),
      referralEvent(p, { ref: 'summer-ad', source: 'ADS', adId: '6045', timestamp: now + 3 }),
    );
    expect(await messageWhen(reply)).toMatchObject({ reply_to_external_id: first });
    expect(await messageWhen(postbackMid)).toMatchObject({ kind: 'postback', text: 'Talk to a human', direction: 'inbound', metadata: { postback: { title: 'Talk to a human', payload: 'HUMAN' } } });
    const referral = await messageWhen(`referral:${PAGE}:${p.user}:${now + 3}`);
    expect(referral).toMatchObject({ kind: 'referral', metadata: { referral: { ref: 'summer-ad', source: 'ADS', ad_id: '6045' } } });
    expect((await conversationOf(p))[0].unread_count).toBe(4);
  });

  it('takes events from standby and from every entry of a batched delivery', async () => {
    const [a, b] = [messenger(), messenger()];
    const [m1, m2] = [newMid('messenger'), newMid('messenger')];
    const igp = instagram();
    await sandbox.postWebhook(
      webhookBody('messenger', [
        { account: PAGE, messaging: [messageEvent('messenger', a, { mid: m1, text: 'in messaging' })] },
        { account: PAGE, standby: [messageEvent('messenger', b, { mid: m2, text: 'in standby' })] },
      ]),
    );
    await messageWhen(m1);
    await messageWhen(m2);
    const m3 = newMid('instagram');
    await sandbox.postWebhook(webhookBody('instagram', [{ account: IG, standby: [messageEvent('instagram', igp, { mid: m3, text: 'ig standby' })] }]));
    expect(await messageWhen(m3)).toMatchObject({ channel: 'instagram_dm' });
  });

  describe('echoes', () => {
    it('stores a message the Page sent from elsewhere as outbound, without touching the window or unread count', async () => {
      const p = messenger();
      const inboundAt = Date.now() - 5000;
      const inbound = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid: inbound, text: 'hi', timestamp: inboundAt }));
      await messageWhen(inbound);
      const echo = newMid('messenger');
      await send('messenger', PAGE, echoEvent('messenger', p, { mid: echo, text: 'answered from the Page inbox', appId: 263902037430900 }));
      expect(await messageWhen(echo)).toMatchObject({ direction: 'outbound', sender: 'page', status: 'published', text: 'answered from the Page inbox' });
      const [conversation] = await conversationOf(p);
      expect(conversation.unread_count).toBe(1);
      expect(conversation.last_inbound_at.getTime()).toBe(inboundAt);
      expect(conversation.last_message_at.getTime()).toBeGreaterThan(inboundAt);
    });

    it('stores an Instagram app echo as outbound', async () => {
      const p = instagram();
      const echo = newMid('instagram');
      await send('instagram', IG, echoEvent('instagram', p, { mid: echo, text: 'from the Instagram app' }));
      expect(await messageWhen(echo)).toMatchObject({ channel: 'instagram_dm', direction: 'outbound', sender: 'page', status: 'published' });
    });

    it('does not duplicate our own send when its echo comes back', async () => {
      const p = messenger();
      const inbound = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid: inbound, text: 'can you help?' }));
      const contactId = (await messageWhen(inbound)) && (await conversationOf(p))[0].contact_id;
      const sent = await t.request('POST', '/api/messaging/send?wait=true', { token: org.apiKey, body: { channel: 'facebook_messenger', contactId, text: 'Sure!' } });
      expect(sent.status).toBe(200);
      const ours = sent.body.messages[0];
      expect(ours.status).toBe('published');
      const before = (await t.db.query(`SELECT count(*) FROM messages`)).rows[0].count;
      // The echo of our send (our app id, same mid), and again without an app id: the mid decides.
      await send('messenger', PAGE, echoEvent('messenger', p, { mid: ours.externalId, text: 'Sure!', appId: Number(sandbox.appId) }));
      await send('messenger', PAGE, echoEvent('messenger', p, { mid: ours.externalId, text: 'Sure!' }));
      const marker = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid: marker, text: 'after the echoes' }));
      await messageWhen(marker);
      expect(Number((await t.db.query(`SELECT count(*) FROM messages`)).rows[0].count)).toBe(Number(before) + 1);
      expect(await message(ours.externalId)).toMatchObject({ id: ours.id, sender: 'agent' });
    });
  });

  describe('receipts', () => {
    /** Outbound messages (echoes from the Page inbox) at the given times. */
    async function outbound(p: Parties, platform: 'messenger' | 'instagram', times: number[]): Promise<string[]> {
      const mids = times.map(() => newMid(platform));
      await send(platform, p.account, ...times.map((timestamp, i) => echoEvent(platform, p, { mid: mids[i], text: `out ${i}`, timestamp })));
      for (const mid of mids) await messageWhen(mid);
      return mids;
    }

    it('marks Messenger messages delivered and read by watermark, never going back', async () => {
      const p = messenger();
      const base = Date.now() - 60000;
      const [m1, m2, m3] = await outbound(p, 'messenger', [base, base + 1000, base + 2000]);
      await send('messenger', PAGE, deliveryEvent(p, { watermark: base + 1000, timestamp: base + 1500 }));
      await messageWhen(m2, (row) => row.status === 'delivered');
      expect(await message(m1)).toMatchObject({ status: 'delivered', delivered_at: new Date(base + 1500) });
      expect(await message(m3)).toMatchObject({ status: 'published', delivered_at: null });

      await send('messenger', PAGE, readEvent(p, { watermark: base + 2000, timestamp: base + 3000 }));
      await messageWhen(m3, (row) => row.status === 'read');
      expect(await message(m1)).toMatchObject({ status: 'read', read_at: new Date(base + 3000), delivered_at: new Date(base + 1500) });
      expect((await message(m3)).delivered_at).toEqual(new Date(base + 3000));

      // A late delivery (mids only) must not un-read anything.
      const marker = newMid('messenger');
      await send('messenger', PAGE, deliveryEvent(p, { watermark: base + 2000, mids: [m3], timestamp: base + 4000 }), messageEvent('messenger', p, { mid: marker, text: 'marker' }));
      await messageWhen(marker);
      for (const mid of [m1, m2, m3]) expect((await message(mid)).status).toBe('read');
    });

    it('marks delivered by mids when the watermark does not reach', async () => {
      const p = messenger();
      const base = Date.now() - 60000;
      const [m1] = await outbound(p, 'messenger', [base]);
      await send('messenger', PAGE, deliveryEvent(p, { watermark: base - 10000, mids: [m1], timestamp: base + 10 }));
      expect(await messageWhen(m1, (row) => row.status === 'delivered')).toMatchObject({ delivered_at: new Date(base + 10) });
    });

    it('leaves failed and pending messages alone', async () => {
      const p = messenger();
      const base = Date.now() - 60000;
      const [m1, m2] = await outbound(p, 'messenger', [base, base + 1]);
      await t.db.query(`UPDATE messages SET status = 'failed' WHERE external_id = $1`, [m1]);
      await t.db.query(`UPDATE messages SET status = 'pending' WHERE external_id = $1`, [m2]);
      const marker = newMid('messenger');
      await send('messenger', PAGE, readEvent(p, { watermark: base + 10 }), messageEvent('messenger', p, { mid: marker, text: 'marker' }));
      await messageWhen(marker);
      expect(await message(m1)).toMatchObject({ status: 'failed', read_at: null });
      expect(await message(m2)).toMatchObject({ status: 'pending', read_at: null });
    });

    it('marks an Instagram message and every earlier one read by mid, and pushes message.updated', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const p = instagram();
      const base = Date.now() - 60000;
      const [m1, m2, m3] = await outbound(p, 'instagram', [base, base + 1000, base + 2000]);
      await send('instagram', IG, readEvent(p, { mid: m2, timestamp: base + 5000 }));
      await messageWhen(m2, (row) => row.status === 'read');
      expect(await message(m1)).toMatchObject({ status: 'read', read_at: new Date(base + 5000) });
      expect((await message(m3)).status).toBe('published');
      const pushed = await socket.waitFor('message.updated', (m) => m.externalId === m2 && m.status === 'read');
      expect(pushed.readAt).toBe(new Date(base + 5000).toISOString());
    });
  });

  describe('reactions, edits and unsends', () => {
    it('stores a reaction on its message, replaces it on a second react, and removes it on unreact', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const p = messenger();
      const mid = newMid('messenger');
      await send('messenger', PAGE, echoEvent('messenger', p, { mid, text: 'our offer' }));
      await messageWhen(mid);
      await send('messenger', PAGE, reactionEvent(p, { mid, reaction: 'love', emoji: '❤️' }));
      await messageWhen(mid, (row) => row.reactions.length === 1);
      expect((await message(mid)).reactions).toEqual([{ by: 'contact', reaction: 'love', emoji: '❤️' }]);
      const pushed = await socket.waitFor('message.updated', (m) => m.externalId === mid && m.reactions.length === 1);
      expect(pushed.reactions).toEqual([{ by: 'contact', reaction: 'love', emoji: '❤️' }]);

      await send('messenger', PAGE, reactionEvent(p, { mid, reaction: 'like', emoji: '👍' }), reactionEvent(p, { mid, reaction: 'wow', emoji: '😮', byPage: true }));
      await messageWhen(mid, (row) => row.reactions.length === 2);
      expect((await message(mid)).reactions).toEqual([
        { by: 'contact', reaction: 'like', emoji: '👍' },
        { by: 'page', reaction: 'wow', emoji: '😮' },
      ]);

      await send('messenger', PAGE, reactionEvent(p, { mid, action: 'unreact' }));
      await messageWhen(mid, (row) => row.reactions.length === 1);
      expect((await message(mid)).reactions).toEqual([{ by: 'page', reaction: 'wow', emoji: '😮' }]);
    });

    it('applies an Instagram unreact without reaction or emoji', async () => {
      const p = instagram();
      const mid = newMid('instagram');
      await send('instagram', IG, messageEvent('instagram', p, { mid, text: 'hey' }), reactionEvent(p, { mid, byPage: true, reaction: 'love' }));
      await messageWhen(mid, (row) => row.reactions.length === 1);
      await send('instagram', IG, reactionEvent(p, { mid, action: 'unreact', byPage: true }));
      await messageWhen(mid, (row) => row.reactions.length === 0);
    });

    it('updates an edited message, keeps the edit count and the original text, and ignores a stale edit', async () => {
      const p = messenger();
      const mid = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'Do you ship to Lisbon?' }));
      await messageWhen(mid);
      const editedAt = Date.now();
      await send('messenger', PAGE, editEvent(p, { mid, text: 'Do you ship to Porto?', numEdit: 2, timestamp: editedAt }));
      await messageWhen(mid, (row) => row.edit_count === 2);
      await send('messenger', PAGE, editEvent(p, { mid, text: 'stale first edit', numEdit: 1 }));
      const marker = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid: marker, text: 'marker' }));
      await messageWhen(marker);
      expect(await message(mid)).toMatchObject({ text: 'Do you ship to Porto?', edit_count: 2, edited_at: new Date(editedAt), metadata: { originalText: 'Do you ship to Lisbon?' } });
    });

    it('removes everything an unsent message said after an edit: text, original text, metadata and attachments, whose files answer 404', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const p = messenger();
      const mid = newMid('messenger');
      const attachments = [
        { type: 'image', payload: { url: sandbox.cdnUrl(Buffer.from('\x89PNG secret photo'), 'image/png') } },
        { type: 'file', payload: { url: sandbox.cdnUrl(Buffer.from('%PDF secret'), 'application/pdf') } },
      ];
      await send('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'my card is 4111', attachments, quickReplyPayload: 'SECRET' }));
      const stored = await socket.waitFor('message.updated', (m) => m.externalId === mid && m.attachments.length === 2 && m.attachments.every((a: any) => a.url));
      const urls: string[] = stored.attachments.map((a: any) => a.url);
      for (const url of urls) expect((await fetch(url)).status).toBe(200);
      await send('messenger', PAGE, editEvent(p, { mid, text: 'my card is 4111 1111', numEdit: 1 }));
      await messageWhen(mid, (row) => row.edit_count === 1);
      const at = Date.now();
      await send('messenger', PAGE, unsendEvent(p, { mid, timestamp: at }));

      const pushed = await socket.waitFor('message.updated', (m) => m.externalId === mid && m.deletedAt !== null);
      const [rest] = (await t.request('GET', `/api/conversations/${stored.conversationId}/messages`, { token: org.apiKey })).body.data.filter((m: any) => m.externalId === mid);
      for (const view of [pushed, rest]) {
        expect(view).toMatchObject({ deletedAt: new Date(at).toISOString(), text: null, metadata: null, attachments: [] });
        expect(JSON.stringify(view)).not.toMatch(/4111|SECRET|secret/);
      }
      const row = await message(mid);
      expect(row).toMatchObject({ text: null, metadata: null });
      expect((await t.db.query('SELECT count(*)::int AS n FROM attachments WHERE message_id = $1', [row.id])).rows[0].n).toBe(0);
      for (const url of urls) await eventually(async () => (await fetch(url)).status, (status) => status === 404);
      // The event log's earlier copies of it (received, edited) lost what it said too.
      const logged = await eventually(
        async () => {
          const all: any[] = [];
          for (let cursor: string | null = '0'; cursor !== null; ) {
            const page: any = (await t.request('GET', `/api/events?after=${cursor}&limit=100`, { token: org.apiKey })).body;
            all.push(...page.data);
            cursor = page.nextCursor;
          }
          return all.filter((e) => e.data?.object?.id === row.id);
        },
        (events: any[]) => events.some((e) => e.type === 'message.deleted'),
      );
      expect(logged.map((e: any) => e.type)).toEqual(expect.arrayContaining(['message.received', 'message.edited', 'message.deleted']));
      expect(JSON.stringify(logged)).not.toMatch(/4111|SECRET|secret/);
      // A late edit of the unsent message changes nothing.
      await send('messenger', PAGE, editEvent(p, { mid, text: 'resurrected', numEdit: 2 }));
      const marker = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid: marker, text: 'marker' }));
      await messageWhen(marker);
      expect(await message(mid)).toMatchObject({ text: null, metadata: null, edit_count: 1 });
    });

    it('applies an unsend that arrives before its message: the message is stored without its text, metadata or attachments', async () => {
      const p = messenger();
      const mid = newMid('messenger');
      const at = Date.now();
      await send('messenger', PAGE, unsendEvent(p, { mid, timestamp: at }));
      const attachments = [{ type: 'image', payload: { url: sandbox.cdnUrl(Buffer.from('\x89PNG early secret'), 'image/png') } }];
      await send('messenger', PAGE, messageEvent('messenger', p, { mid, text: 'taken back', attachments, quickReplyPayload: 'SECRET', timestamp: at - 1000 }));
      const row = await messageWhen(mid);
      expect(row).toMatchObject({ deleted_at: new Date(at), text: null, metadata: null });
      expect((await t.db.query('SELECT count(*)::int AS n FROM attachments WHERE message_id = $1', [row.id])).rows[0].n).toBe(0);
      const [view] = (await t.request('GET', `/api/conversations/${row.conversation_id}/messages`, { token: org.apiKey })).body.data.filter((m: any) => m.externalId === mid);
      expect(view).toMatchObject({ text: null, metadata: null, attachments: [] });
    });

    it('announces an echo the Page deleted from the Instagram app', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const p = instagram();
      const mid = newMid('instagram');
      await send('instagram', IG, echoEvent('instagram', p, { mid, text: 'sent by mistake' }));
      await messageWhen(mid);
      const at = Date.now();
      await send('instagram', IG, { sender: { id: IG }, recipient: { id: p.user }, timestamp: at, message: { mid, is_echo: true, is_deleted: true } });
      expect(await messageWhen(mid, (row) => row.deleted_at !== null)).toMatchObject({ direction: 'outbound', deleted_at: new Date(at), text: null });
      const announced = await socket.waitFor('message.updated', (m) => m.externalId === mid && m.deletedAt !== null);
      expect(announced).toMatchObject({ direction: 'outbound', text: null, deletedAt: new Date(at).toISOString() });

      // Sent and deleted in one delivery: both are announced, and whatever a socket saw last is the deleted record.
      const both = newMid('instagram');
      const deletedAt = Date.now();
      await send(
        'instagram',
        IG,
        echoEvent('instagram', p, { mid: both, text: 'gone at once', timestamp: deletedAt - 1 }),
        { sender: { id: IG }, recipient: { id: p.user }, timestamp: deletedAt, message: { mid: both, is_echo: true, is_deleted: true } },
      );
      await messageWhen(both, (row) => row.deleted_at !== null);
      await socket.waitFor('message.updated', (m) => m.externalId === both && m.deletedAt !== null);
      const pushed = socket.events.filter((e) => e.payload?.externalId === both);
      expect(pushed.map((e) => e.event).sort()).toEqual(['message.created', 'message.updated']);
      expect(pushed[pushed.length - 1].payload).toMatchObject({ text: null, deletedAt: new Date(deletedAt).toISOString() });
      const logged: any[] = [];
      for (let cursor = ''; ; ) {
        const page = (await t.request('GET', `/api/events?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: org.apiKey })).body;
        logged.push(...page.data.filter((e: any) => e.data.object?.externalId === both));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(logged.map((e: any) => e.type)).toEqual(['message.sent', 'message.deleted']);
    });

    it('stores a referral Meta sent without a timestamp once, however often it is redelivered', async () => {
      const p = messenger();
      const referral = referralEvent(p, { ref: 'no-time', source: 'SHORTLINK' });
      delete (referral as { timestamp?: number }).timestamp;
      await send('messenger', PAGE, referral);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await send('messenger', PAGE, referral);
      const marker = newMid('messenger');
      await send('messenger', PAGE, messageEvent('messenger', p, { mid: marker, text: 'after the referrals' }));
      await messageWhen(marker);
      const [conversation] = await conversationOf(p);
      const kinds = (await t.db.query(`SELECT kind FROM messages WHERE conversation_id = $1 ORDER BY created_at`, [conversation.id])).rows.map((r) => r.kind);
      expect(kinds).toEqual(['referral', 'message']);
    });

    it('marks an Instagram unsend deleted', async () => {
      const socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
      sockets.push(socket);
      const p = instagram();
      const mid = newMid('instagram');
      await send('instagram', IG, messageEvent('instagram', p, { mid, text: 'oops' }));
      await messageWhen(mid);
      const at = Date.now();
      await send('instagram', IG, unsendEvent(p, { mid, timestamp: at }));
      expect(await messageWhen(mid, (row) => row.deleted_at !== null)).toMatchObject({ deleted_at: new Date(at), text: null });
      expect((await socket.waitFor('message.updated', (m) => m.externalId === mid && m.deletedAt !== null)).deletedAt).toBe(new Date(at).toISOString());
    });
  });
});
