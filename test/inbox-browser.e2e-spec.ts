import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { Browser, Locator, Page } from 'playwright-core';
import { MetaSandbox, SandboxPage } from '../src/sandbox/meta-sandbox';
import { deliveryEvent, editEvent, messageEvent, reactionEvent, readEvent, webhookOf } from '../src/sandbox/webhook-events';
import { addFacebookIdentity, createContact, createConversation, createMessage } from './support/factories';
import { launchChromium } from './support/chromium';
import { eventually } from './support/eventually';
import { Pool } from 'pg';
import { configureMetaApp, connectPage } from './support/meta-fixtures';
import { freePort, ServiceProcess } from './support/service-process';
import { createTestDatabase } from './support/test-database';

const ADMIN = 'browser-admin-token-0123456789';

const ARTIFACTS = join(__dirname, 'artifacts', 'inbox');
const DAY = 24 * 3600 * 1000;

/** A small solid-colour PNG, so the inline image is visible in the screenshots. */
function png(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).map((_, i) => [r, g, b][i % 3])]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

/** The built service (what ships: `dist/` and `public/`) as a process, with the sandbox as Meta. */
describe('the reference inbox at /inbox, in headless Chromium', () => {
  let t: ServiceProcess;
  let other: ServiceProcess | undefined;
  let db: Pool;
  let env: Record<string, string>;
  let sandbox: MetaSandbox;
  let metaPage: SandboxPage;
  let org: { id: string; apiKey: string };
  let browser: Browser;
  let page: Page;
  const customer = { account: '', user: 'psid-browser-ana' };
  let step = 0;

  const shot = async (name: string) => {
    step += 1;
    await page.screenshot({ path: join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const deliver = (...events: Parameters<typeof webhookOf>[2][]) => sandbox.postWebhook(webhookOf('messenger', metaPage.id, ...events));
  const messageItem = (text: string) => page.locator('li.message', { hasText: text });
  const hasCount = (locator: Locator, count: number) => eventually(() => locator.count(), (n) => n === count);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    sandbox = await MetaSandbox.start();
    const port = await freePort();
    const databaseUrl = await createTestDatabase();
    db = new Pool({ connectionString: databaseUrl, max: 2 });
    env = {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'mi-browser-')),
      ADMIN_TOKEN: ADMIN,
      META_GRAPH_URL: sandbox.url,
      META_OAUTH_DIALOG_URL: sandbox.url,
      MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'warn',
      // Shared by every instance, so each can read the secrets another stored.
      ENCRYPTION_KEY: 'c'.repeat(64),
    };
    t = await ServiceProcess.start(env);
    await t.healthy();
    sandbox.webhookTarget = `${t.baseUrl}/api/meta/webhook`;
    await configureMetaApp(t, sandbox, ADMIN);
    metaPage = sandbox.addPage({ id: '161', name: 'Sandbox Coffee', instagram: { id: '17861', username: 'sandbox.coffee' } });
    customer.account = metaPage.id;
    sandbox.addProfile(customer.user, { first_name: 'Ana', last_name: 'Silva' });
    sandbox.addProfile('igsid-browser-bea', { name: 'Bea Costa', username: 'bea.costa' });
    org = (await t.request('POST', '/api/admin/organizations', { token: ADMIN, body: { name: 'Sandbox Coffee' } })).body;
    await connectPage(t, sandbox, org.apiKey, metaPage);
    page = await (await browser.newContext({ viewport: { width: 1200, height: 760 } })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    for (const instance of [t, other]) {
      if (instance?.child.exitCode === null) {
        instance.kill('SIGTERM');
        await instance.exit();
      }
    }
    await db?.end();
    await sandbox?.stop();
  });

  it('signs in with a token given in the link, and takes it out of the address bar', async () => {
    const minted = await t.request('POST', '/api/auth/tokens', { token: org.apiKey, body: { agent: { id: 'u1', name: 'Dana' } } });
    await page.goto(`${t.baseUrl}/inbox#token=${minted.body.token}`);
    await page.locator('#inbox').waitFor();
    await page.locator('#live[data-state="live"]').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await expect(page.locator('#who').textContent()).resolves.toContain('Dana');
    await expect(page.locator('#connection-info').textContent()).resolves.toBe('Sandbox Coffee · @sandbox.coffee');
    await shot('signed-in');
  });

  it('shows a customer message the moment it arrives, on either channel, with unread counts', async () => {
    const status = await deliver(messageEvent('messenger', customer, { text: 'Hi! Are you open today?' }));
    expect(status.status).toBe(200);
    const item = page.locator('.conversation-item', { hasText: 'Ana Silva' });
    await item.locator('.unread', { hasText: '1' }).waitFor();
    await sandbox.postWebhook(webhookOf('instagram', '17861', messageEvent('instagram', { account: '17861', user: 'igsid-browser-bea' }, { text: 'Do you ship beans?' })));
    await page.locator('.conversation-item[data-channel="instagram_dm"]', { hasText: 'Bea Costa' }).waitFor();
    await shot('messages-arrive-live');
    await page.getByRole('button', { name: 'Instagram', exact: true }).click();
    await page.locator('.conversation-item[data-channel="facebook_messenger"]').waitFor({ state: 'detached' });
    await expect(page.locator('.conversation-item').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.locator('.conversation-item[data-channel="facebook_messenger"]').waitFor();
  });

  it('keeps a conversation that arrives live while the list is still loading', async () => {
    const bea = await db.query(`SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.display_name = 'Bea Costa'`);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: boolean[] = [];
    await page.route('**/api/conversations?*', async (route) => {
      // The list as it is before the message, answered only once the message showed live.
      const response = await route.fetch();
      const body = await response.json();
      // A marker: the held page's copy of Bea's conversation says 9 unread, so the page is seen applied.
      for (const conversation of body.data) if (conversation.id === bea.rows[0].id) conversation.unreadCount = 9;
      held.push(true);
      await released;
      await route.fulfill({ response, json: body });
    });
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await eventually(async () => held.length, (n) => n === 1);
    sandbox.addProfile('psid-browser-eli', { first_name: 'Eli', last_name: 'Moss' });
    await deliver(messageEvent('messenger', { account: metaPage.id, user: 'psid-browser-eli' }, { text: 'Table for two?' }));
    const eli = page.locator('.conversation-item', { hasText: 'Eli Moss' });
    await eli.locator('.unread', { hasText: '1' }).waitFor();
    release();
    await page.locator('.conversation-item', { hasText: 'Bea Costa' }).locator('.unread', { hasText: '9' }).waitFor();
    await expect(eli.locator('.unread').textContent()).resolves.toBe('1');
    await page.unroute('**/api/conversations?*');
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.locator('.conversation-item', { hasText: 'Bea Costa' }).locator('.unread', { hasText: '1' }).waitFor();
  });

  it('opens the conversation, marks it read, and replies with text and an image', async () => {
    await page.locator('.conversation-item', { hasText: 'Ana Silva' }).locator('button').click();
    await messageItem('Are you open today?').waitFor();
    await page.locator('.conversation-item', { hasText: 'Ana Silva' }).locator('.unread').waitFor({ state: 'detached' });
    await expect(page.locator('.window').getAttribute('data-window')).resolves.toBe('open');

    await page.locator('#compose textarea').fill('Yes, until 6 pm!');
    await page.locator('#compose textarea').press('Enter');
    await messageItem('Yes, until 6 pm!').and(page.locator('[data-status="published"]')).waitFor();

    await page.locator('#compose input[type=file]').setInputFiles({ name: 'latte.png', mimeType: 'image/png', buffer: png(160, 100, [180, 120, 70]) });
    await page.locator('#compose button[type=submit]').click();
    const image = page.locator('li.message.outbound img');
    await image.waitFor();
    await page.locator('li.message.outbound[data-status="published"] img').waitFor();
    await expect(image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)).resolves.toBe(160);

    const sent = sandbox.sent();
    expect(sent.map((m: any) => m.body?.message?.text ?? m.body?.message?.attachment?.type)).toEqual(['Yes, until 6 pm!', 'image']);
    const rows = await db.query(`SELECT agent FROM messages WHERE direction = 'outbound' ORDER BY sent_at`);
    expect(rows.rows.map((r) => r.agent)).toEqual([
      { id: 'u1', name: 'Dana' },
      { id: 'u1', name: 'Dana' },
    ]);
    await shot('replied-text-and-image');
  });

  it('shows the replies become delivered, then read', async () => {
    const outbound = page.locator('li.message.outbound');
    await deliver(deliveryEvent(customer, { watermark: Date.now() }));
    await hasCount(outbound.and(page.locator('[data-status="delivered"]')), 2);
    await shot('delivered');
    await deliver(readEvent(customer, { watermark: Date.now() }));
    await hasCount(outbound.and(page.locator('[data-status="read"]')), 2);
    await expect(outbound.last().locator('.status').textContent()).resolves.toBe('Read');
    await shot('read');
  });

  it("reacts to the customer's message, and shows the customer's reactions and edits", async () => {
    const inbound = messageItem('Are you open today?');
    await inbound.locator('button.react').click();
    await inbound.locator('.reaction[data-by="page"]').waitFor();
    expect(sandbox.requests.some((r) => (r.body as any)?.sender_action === 'react')).toBe(true);

    const [{ external_id: mid }] = (await db.query(`SELECT external_id FROM messages WHERE text = 'Yes, until 6 pm!'`)).rows;
    await deliver(reactionEvent(customer, { mid, reaction: 'love' }));
    await messageItem('Yes, until 6 pm!').locator('.reaction[data-by="contact"]').waitFor();
    const [{ external_id: inboundMid }] = (await db.query(`SELECT external_id FROM messages WHERE text = 'Hi! Are you open today?'`)).rows;
    await deliver(editEvent(customer, { mid: inboundMid, text: 'Hi! Are you open today, Sunday?', numEdit: 1 }));
    await messageItem('Sunday?').locator('.edited').waitFor();
    await shot('reactions-and-edit');
  });

  it('shows comments on the Page live, and answers one with a private reply', async () => {
    await page.locator('#comments-tab').waitFor();
    await sandbox.postComment({ platform: 'facebook', pageId: metaPage.id, text: 'How much is a latte?', from: { id: 'fb-user-dee', name: 'Dee Park' } });
    await page.locator('#comments-tab').click();
    const comment = page.locator('li.comment', { hasText: 'How much is a latte?' });
    await comment.waitFor();
    await comment.locator('input[name="text"]').fill('3.50 €, see you soon!');
    await comment.getByRole('button', { name: 'Reply privately' }).click();
    await page.locator('li.comment', { hasText: 'Private reply: 3.50 €, see you soon! (published)' }).waitFor();
    const call = sandbox.sent().at(-1) as any;
    expect(call.body).toMatchObject({ recipient: { comment_id: expect.any(String) }, message: { text: '3.50 €, see you soon!' } });
    await shot('comment-private-reply');
    await page.getByRole('tab', { name: 'Conversations' }).click();
  });

  it('offers the HUMAN_AGENT tag once the 24-hour window has closed', async () => {
    const contactId = await createContact(db, org.id, { displayName: 'Carl Late' });
    await addFacebookIdentity(db, contactId, metaPage.id, 'psid-browser-carl');
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    const conversationId = await createConversation(db, contactId, { lastInboundAt: twoDaysAgo, lastMessageAt: twoDaysAgo });
    await createMessage(db, conversationId, { text: 'Is my order ready?', sentAt: twoDaysAgo });
    await page.reload();
    await page.locator('#live[data-state="live"]').waitFor();
    await page.locator('.conversation-item', { hasText: 'Carl Late' }).locator('button').click();
    await expect(page.locator('.window').getAttribute('data-window')).resolves.toBe('human_agent');
    await page.locator('#human-agent-option').waitFor();
    await page.locator('#human-agent-option input').check();
    await page.locator('#compose textarea').fill('Sorry for the wait: ready now.');
    await page.locator('#compose button[type=submit]').click();
    await messageItem('ready now').and(page.locator('[data-status="published"]')).waitFor();
    const last = sandbox.sent().at(-1) as any;
    expect(last.body).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    await shot('human-agent-after-24h');
  });

  it('shows a banner when the Meta connection expires', async () => {
    await expect(page.locator('#banner').isHidden()).resolves.toBe(true);
    sandbox.expireToken(metaPage.accessToken);
    await page.locator('.conversation-item', { hasText: 'Ana Silva' }).locator('button').click();
    await messageItem('Sunday?').waitFor();
    await page.locator('#compose textarea').fill('One more thing…');
    await page.locator('#compose button[type=submit]').click();
    await page.locator('#banner[data-kind="expired"]').waitFor();
    await expect(page.locator('#banner').textContent()).resolves.toContain('expired');
    await messageItem('One more thing').and(page.locator('[data-status="failed"]')).waitFor();
    await shot('connection-expired');
  });

  it('catches up after a dropped connection from the last event sequence it saw', async () => {
    const catchUps: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/events?')) catchUps.push(request.url());
    });
    t.kill('SIGTERM');
    await t.exit();
    await page.locator('#live[data-state="offline"]').waitFor();
    // While this page's instance is down, another instance on the same database takes the message.
    const port = await freePort();
    other = await ServiceProcess.start({ ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: mkdtempSync(join(tmpdir(), 'mi-browser-b-')) });
    await other.healthy();
    sandbox.webhookTarget = `${other.baseUrl}/api/meta/webhook`;
    expect((await deliver(messageEvent('messenger', customer, { text: 'Thanks, on my way!' }))).status).toBe(200);
    await eventually(() => db.query(`SELECT 1 FROM messages WHERE text = 'Thanks, on my way!'`), (r) => r.rowCount === 1);
    await expect(messageItem('on my way').count()).resolves.toBe(0);

    t = await ServiceProcess.start(env);
    await t.healthy();
    sandbox.webhookTarget = `${t.baseUrl}/api/meta/webhook`;
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 20_000 });
    await messageItem('on my way').waitFor();
    const after = catchUps.map((url) => Number(new URL(url).searchParams.get('after')));
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]).toBeGreaterThan(0);
    await shot('resumed');
  });

  it('asks for a new token once its token is refused', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    await other.goto(`${t.baseUrl}/inbox#token=mi_tok_not.genuine`);
    await other.locator('#sign-in-error', { hasText: 'not valid' }).waitFor();
    expect(new URL(other.url()).hash).toBe('');
    await other.screenshot({ path: join(ARTIFACTS, 'sign-in-refused.png') });
    await context.close();
  });
});
