import { MetaSandbox } from './meta-sandbox';
import { sandboxBanner } from './sandbox-guide';

/**
 * `npm run sandbox`: the Meta stand-in on its own, seeded with a demo Page, its Instagram
 * account and two customers, so the whole product runs with no Meta app at all.
 */
const DEMO = {
  page: { id: '104000000000001', name: 'Sandbox Coffee', instagram: { id: '17841400000000001', username: 'sandbox.coffee' } },
  psid: '6100000000000001',
  igsid: '7100000000000001',
};

// A 1×1 PNG for profile pictures.
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

async function main(): Promise<void> {
  const port = Number(process.env.SANDBOX_PORT || 3900);
  const sandbox = await MetaSandbox.start({
    port,
    host: process.env.SANDBOX_HOST || '127.0.0.1',
    appId: process.env.SANDBOX_APP_ID,
    appSecret: process.env.SANDBOX_APP_SECRET,
    verifyToken: process.env.SANDBOX_VERIFY_TOKEN,
  });
  sandbox.webhookTarget = process.env.SANDBOX_WEBHOOK_TARGET || 'http://localhost:3000/api/meta/webhook';
  sandbox.addPage(DEMO.page);
  const picture = sandbox.cdnUrl(PIXEL, 'image/png');
  sandbox.addProfile(DEMO.psid, { first_name: 'Ada', last_name: 'Lovelace', profile_pic: picture });
  sandbox.addProfile(DEMO.igsid, {
    name: 'Grace Hopper',
    username: 'grace.hopper',
    profile_pic: picture,
    follower_count: 1234,
    is_verified_user: false,
    is_user_follow_business: true,
    is_business_follow_user: false,
  });
  sandbox.defaultSenders = { messenger: DEMO.psid, instagram: DEMO.igsid };

  process.stdout.write(
    sandboxBanner({
      url: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      verifyToken: sandbox.verifyToken,
      webhookTarget: sandbox.webhookTarget,
      page: DEMO.page,
      controlRoutes: sandbox.controlRouteDocs(),
    }),
  );

  const stop = () => void sandbox.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`The sandbox could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
