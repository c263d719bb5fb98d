import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messageEvent, newMid, webhookOf } from '../src/sandbox/webhook-events';
import { eventually } from './support/eventually';
import { connectPage, freePort, startWithSandbox } from './support/meta-fixtures';
import { TestApp } from './support/test-app';

/** `npm run example:reply-bot` as a process against the real service and the sandbox. */
describe('the reply bot example', () => {
  let t: TestApp;
  let sandbox: MetaSandbox;
  let bot: ChildProcess | undefined;
  let output = '';
  const PAGE = '602000000000001';

  beforeAll(async () => {
    ({ t, sandbox } = await startWithSandbox({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }));
    sandbox.addPage({ id: PAGE, name: 'Bot Page' });
  });
  afterAll(async () => {
    if (bot && bot.exitCode === null) bot.kill('SIGKILL');
    await t?.close();
    await sandbox?.stop();
  });

  it('answers a customer through the send API and sees its answer sent and delivered', async () => {
    const org = await t.createOrganization('Bot Org');
    await connectPage(t, sandbox, org.apiKey, { id: PAGE });
    const port = await freePort();
    bot = spawn(process.execPath, ['-r', 'ts-node/register', join(__dirname, '..', 'examples', 'reply-bot.ts')], {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', META_INBOX_URL: t.baseUrl, META_INBOX_API_KEY: org.apiKey, BOT_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bot.stdout!.on('data', (chunk) => (output += chunk.toString()));
    bot.stderr!.on('data', (chunk) => (output += chunk.toString()));
    await eventually(async () => output, (text) => text.includes('reply bot listening'), 30000);

    const user = { account: PAGE, user: 'psid-bot-customer' };
    await sandbox.postWebhook(webhookOf('messenger', PAGE, messageEvent('messenger', user, { mid: newMid('messenger'), text: 'Is the shop open?' })));
    const answer = await eventually(
      async () => sandbox.sent().find((s) => s.body.message?.text === 'You said: Is the shop open?'),
      (s) => s !== undefined,
      20000,
    );
    expect(answer!.recipientId).toBe('psid-bot-customer');
    await eventually(async () => output, (text) => text.includes('message.sent'), 20000);

    const delivered = await fetch(`${sandbox.url}/_sandbox/delivered`, { method: 'POST' });
    expect(delivered.status).toBe(200);
    await eventually(async () => output, (text) => text.includes('message.delivered'), 20000);

    bot.kill('SIGINT');
    await new Promise((resolve) => bot!.once('exit', resolve));
    expect((await t.request('GET', '/api/webhooks', { token: org.apiKey })).body.data).toEqual([]);
  }, 90000);
});
