import { faults, GraphFault } from '../graph-fault';
import { json, SandboxContext, SandboxRoute } from '../sandbox-route';

const LONG_LIVED_SECONDS = 60 * 24 * 3600;

function checkApp(ctx: SandboxContext): void {
  if (ctx.params.client_id !== ctx.state.appId) throw new GraphFault('Error validating application. Invalid application ID.', 101);
  if (ctx.params.client_secret !== ctx.state.appSecret) throw new GraphFault('Error validating client secret.', 1);
}

/** Facebook Login: the dialog (auto-consent), the code exchange and the long-lived exchange. */
export const oauthRoutes: SandboxRoute[] = [
  {
    method: 'GET',
    pattern: /^dialog\/oauth$/,
    handle(ctx) {
      const { client_id: clientId, redirect_uri: redirectUri, state } = ctx.query;
      if (clientId !== ctx.state.appId) throw new GraphFault('Invalid App ID: the app is not known to the sandbox.', 101);
      if (!redirectUri) throw faults.invalidParameter('The parameter redirect_uri is required');
      // The person "logs in" and grants every Page the sandbox knows.
      const code = ctx.state.issueCode([...ctx.state.pages.keys()], redirectUri);
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      if (state !== undefined) target.searchParams.set('state', state);
      return { status: 302, headers: { location: target.toString() }, body: '' };
    },
  },
  {
    method: 'GET',
    pattern: /^oauth\/access_token$/,
    handle(ctx) {
      checkApp(ctx);
      if (ctx.params.grant_type === 'fb_exchange_token') {
        const owner = ctx.state.authenticateUserTokenForExchange(String(ctx.params.fb_exchange_token ?? ''));
        const token = ctx.state.issueUserToken(owner, true);
        return json({ access_token: token, token_type: 'bearer', expires_in: LONG_LIVED_SECONDS });
      }
      if (!ctx.params.code) throw faults.invalidParameter('Missing authorization code');
      const token = ctx.state.redeemCode(String(ctx.params.code), ctx.params.redirect_uri as string | undefined);
      return json({ access_token: token, token_type: 'bearer', expires_in: 5183 });
    },
  },
];
