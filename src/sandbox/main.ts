import { MetaSandbox } from './meta-sandbox';

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

  const u = sandbox.url;
  process.stdout.write(`Meta sandbox listening on ${u}
  app id ${sandbox.appId}, app secret ${sandbox.appSecret}, verify token ${sandbox.verifyToken}
  demo Page ${DEMO.page.id} "${DEMO.page.name}" with Instagram @${DEMO.page.instagram.username} (${DEMO.page.instagram.id})
  webhooks go to ${sandbox.webhookTarget}

1. Start the service pointed at it:
     META_GRAPH_URL=${u} META_OAUTH_DIALOG_URL=${u} MEDIA_ALLOW_PRIVATE_NETWORKS=true npm start
2. Set the app credentials (Admin > System Config):
     curl -X PUT localhost:3000/api/admin/system-config -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \\
       -d '{"meta_messaging_app_id":"${sandbox.appId}","meta_messaging_app_secret":"${sandbox.appSecret}","meta_messaging_verify_token":"${sandbox.verifyToken}"}'
3. Connect: GET /api/meta/connection/oauth-url?start=true with an organization API key and open
   the url in a browser (the sandbox consents at once and sends it back to the callback), or:
     curl -L -c jar -b jar "<url>"   (the cookie jar is the browser the flow is bound to)
4. Receive: curl -X POST ${u}/_sandbox/inbound -H 'content-type: application/json' -d '{"channel":"messenger","text":"Hi!"}'
            (channel "instagram" for a DM; "from" picks the sender; "attachmentUrl" adds an image)
5. Send with POST /api/messaging/send, then see what Meta got: curl ${u}/_sandbox/sent
   and let the recipients' phones confirm it: curl -X POST ${u}/_sandbox/delivered
6. Integrator webhooks (start the service with WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true too): register
     POST /api/webhooks {"url":"${u}/_sandbox/integrator-webhooks","events":["*"]}, then: curl ${u}/_sandbox/integrator-webhooks
   or run a reply bot: META_INBOX_API_KEY=<key> npm run example:reply-bot
Control: GET /_sandbox (state), /_sandbox/requests, /_sandbox/unmatched; POST /_sandbox/fail {"count":1,"code":190},
         /_sandbox/expire {"pageId"}, /_sandbox/pages, /_sandbox/profiles {"id","fields"}, /_sandbox/clear,
         /_sandbox/delivered; GET/POST /_sandbox/integrator-webhooks
`);

  const stop = () => void sandbox.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`The sandbox could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
