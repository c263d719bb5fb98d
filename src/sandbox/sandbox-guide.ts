/** A control route as `GET /_sandbox` and the banner list it. */
export interface ControlRouteDoc {
  method: 'GET' | 'POST';
  path: string;
  /** An example JSON body. */
  body?: string;
  does: string;
}

/** The fields of `POST /_sandbox/fail`, each one a fault the next matching Graph calls get. */
export const FAULT_OPTIONS: Record<string, string> = {
  count: 'how many matching Graph calls get the fault (default 1)',
  code: "Meta's error code to answer with: 190 expires the token, 4/32/613 are rate limits, 100 an invalid parameter, 2 a transient error",
  subcode: 'error_subcode (e.g. 460 with 190, 2018001 with 100)',
  httpStatus: 'HTTP status of the error answer (default 400); without a code, a bare 5xx service error',
  message: "the error's message (default: as Meta words that code)",
  delayMs: 'wait this long before answering; alone, a slow but successful answer (to try timeouts)',
  path: 'a regular expression: only Graph calls whose path (version included) matches, e.g. "messages$"',
  pageId: "only Graph calls made with this Page's token",
  forMs: 'every matching call for this long instead of count, e.g. {"code":613,"pageId":"…","forMs":60000}: a Page answering 613 for a minute',
};

export interface SandboxGuideInput {
  url: string;
  appId: string;
  appSecret: string;
  verifyToken: string;
  webhookTarget: string;
  page: { id: string; name: string; instagram?: { id: string; username: string } };
  controlRoutes: ControlRouteDoc[];
}

const JSON_FIELD = (field: string) => `node -pe 'JSON.parse(require("fs").readFileSync(0)).${field}'`;

/**
 * What `npm run sandbox` prints: its real settings and the walkthrough with the README's
 * variable names ($TOKEN, $API_KEY), for the service the webhooks go to (its port included).
 */
export function sandboxBanner(input: SandboxGuideInput): string {
  const { url: u, page } = input;
  const target = new URL(input.webhookTarget);
  const service = target.origin;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const auth = (variable: string) => `-H "authorization: Bearer $${variable}"`;
  const json = "-H 'content-type: application/json'";
  const routes = input.controlRoutes.map((route) => `  ${route.method.padEnd(4)} ${u}${route.path}${route.body ? ` ${route.body}` : ''}\n         ${route.does}`);
  const faults = Object.entries(FAULT_OPTIONS).map(([name, meaning]) => `  ${name.padEnd(10)} ${meaning}`);
  return `Meta sandbox listening on ${u}
  app id ${input.appId}, app secret ${input.appSecret}, verify token ${input.verifyToken}
  demo Page ${page.id} "${page.name}"${page.instagram ? ` with Instagram @${page.instagram.username} (${page.instagram.id})` : ''}
  webhooks go to ${input.webhookTarget} (SANDBOX_WEBHOOK_TARGET)

1. Start the service pointed at it, on the port the webhooks go to (and named by that address, where Facebook Login comes back to):
     PORT=${port} PUBLIC_URL=${service} META_GRAPH_URL=${u} META_OAUTH_DIALOG_URL=${u} MEDIA_ALLOW_PRIVATE_NETWORKS=true npm start
2. Take its admin token (or your ADMIN_TOKEN) and set the sandbox's app credentials (Admin > System Config):
     TOKEN=$(cat .data/admin-token)
     curl -s -X PUT ${service}/api/admin/system-config ${auth('TOKEN')} ${json} \\
       -d '{"meta_messaging_app_id":"${input.appId}","meta_messaging_app_secret":"${input.appSecret}","meta_messaging_verify_token":"${input.verifyToken}"}'
3. Create an organization and keep its API key:
     API_KEY=$(curl -s -X POST ${service}/api/admin/organizations ${auth('TOKEN')} ${json} -d '{"name":"Acme"}' | ${JSON_FIELD('apiKey')})
4. Connect the demo Page: the sandbox's Login dialog consents at once (keep the cookie jar: the callback checks it)
     curl -sL -b jar -c jar "$(curl -s -c jar ${service}/api/meta/connection/oauth-url ${auth('API_KEY')} | ${JSON_FIELD('url')})"
     curl -s ${service}/api/meta/connection/status ${auth('API_KEY')}
5. Receive a customer's message (channel "instagram" for a DM; "from" picks the sender, "attachmentUrl" adds a file):
     curl -s -X POST ${u}/_sandbox/inbound ${json} -d '{"channel":"messenger","text":"Hi!"}'
     CONVERSATION=$(curl -s ${service}/api/conversations ${auth('API_KEY')} | ${JSON_FIELD('data[0].id')})
6. Answer it, then see what Meta got:
     curl -s -X POST '${service}/api/messaging/send?wait=true' ${auth('API_KEY')} ${json} \\
       -d "{\\"channel\\":\\"facebook_messenger\\",\\"conversationId\\":\\"$CONVERSATION\\",\\"text\\":\\"Hello!\\"}"
     curl -s ${u}/_sandbox/sent
   and let the customer's phone confirm it: curl -s -X POST ${u}/_sandbox/delivered
7. Integrator webhooks (start the service with WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true too): the sandbox is an endpoint
     curl -s -X POST ${service}/api/webhooks ${auth('API_KEY')} ${json} -d '{"url":"${u}/_sandbox/integrator-webhooks","events":["*"]}'
     curl -s ${u}/_sandbox/integrator-webhooks
   or run a reply bot: META_INBOX_API_KEY=$API_KEY npm run example:reply-bot

Control routes (GET ${u}/_sandbox lists them too):
${routes.join('\n')}

Fault options, the fields of POST /_sandbox/fail:
${faults.join('\n')}
`;
}
