import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { startWithConnectedPage } from './support/meta-fixtures';
import { RecordingSocket } from './support/socket-client';
import { TestApp } from './support/test-app';

describe('Instagram stories', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let org: { id: string; apiKey: string };
  let socket: RecordingSocket;
  const PAGE = '514000000000001';
  const IG = '17841451400000001';

  beforeAll(async () => {
    ({ t, sandbox, org } = await startWithConnectedPage({ id: PAGE, name: 'Story Page', instagram: { id: IG, username: 'story.shop' } }, 'Stories'));
    socket = await RecordingSocket.connect(t.baseUrl, org.apiKey);
  });
  afterAll(async () => {
    socket?.close();
    await t?.close();
    await sandbox?.stop();
  });

  /** The message with this mid as the conversation's messages route shows it. */
  async function shown(mid: string): Promise<any> {
    const row = await eventually(async () => (await t.db.query(`SELECT conversation_id FROM messages WHERE external_id = $1`, [mid])).rows[0], (r) => !!r);
    const page = await t.request('GET', `/api/conversations/${row.conversation_id}/messages?limit=100`, { token: org.apiKey });
    return page.body.data.find((m: any) => m.externalId === mid);
  }

  it("shows a story mention with Meta's CDN URL and never copies its media, and a redelivery adds nothing", async () => {
    const { mid, url, delivered } = await sandbox.postStoryMention({ from: 'igsid-story-1', media: Buffer.from('the story') });
    expect(delivered.status).toBe(200);
    const message = await shown(mid);
    expect(message).toMatchObject({ direction: 'inbound', status: 'received', replyToStory: null });
    expect(message.attachments).toEqual([{ id: expect.any(String), type: 'story_mention', mimeType: null, size: null, url, expiresAt: expect.any(String), expired: false }]);
    expect(Date.parse(message.attachments[0].expiresAt)).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
    const created = await socket.waitFor('message.created', (m) => m.externalId === mid);
    expect(created.attachments[0].url).toBe(url);

    await sandbox.postWebhook(webhookOf('instagram', IG, messageEvent('instagram', { account: IG, user: 'igsid-story-1' }, { mid, attachments: [{ type: 'story_mention', payload: { url } }] })));
    await new Promise((r) => setTimeout(r, 500));
    const rows = (await t.db.query(`SELECT a.status, a.storage_key FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.external_id = $1`, [mid])).rows;
    expect(rows).toEqual([{ status: 'remote', storage_key: null }]);
  });

  it("says so when Meta's link has expired", async () => {
    const { mid } = await sandbox.postStoryMention({ from: 'igsid-story-2', expiresAt: Date.now() - 60_000 });
    const [attachment] = (await shown(mid)).attachments;
    expect(attachment).toMatchObject({ type: 'story_mention', expired: true });
    expect(attachment.url).toMatch(/\/cdn\//);
  });

  it('shows a reply to the organization’s story with replyToStory at the top level', async () => {
    const mid = newMid('instagram');
    const story = { url: `${sandbox.url}/cdn/story-1?oe=7fffffff`, id: '18000000000000777' };
    await sandbox.postWebhook(webhookOf('instagram', IG, messageEvent('instagram', { account: IG, user: 'igsid-story-3' }, { mid, text: 'Still available?', replyToStory: story })));
    const message = await shown(mid);
    expect(message).toMatchObject({ text: 'Still available?', replyToStory: { id: '18000000000000777', url: story.url }, metadata: null });
  });
});
