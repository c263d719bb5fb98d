/** How a Facebook Login ended, and what the browser is shown for it. */
export type OAuthFailureReason =
  | 'access_denied'
  | 'missing_code'
  | 'app_not_configured'
  | 'no_pages'
  | 'page_in_use'
  | 'meta_error'
  | 'invalid_state'
  | 'browser_mismatch';

export type OAuthOutcome =
  | { result: 'connected'; pageName: string | null }
  | { result: 'select_page'; pages: number }
  | { result: 'error'; reason: OAuthFailureReason; message: string };

/** `APP_URL?meta=connected|select_page|error&reason=…` for the web app to pick up. */
export function outcomeRedirect(appUrl: string, outcome: OAuthOutcome): string {
  const url = new URL(appUrl);
  url.searchParams.set('meta', outcome.result);
  if (outcome.result === 'error') url.searchParams.set('reason', outcome.reason);
  return url.toString();
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

export function outcomeHttpStatus(outcome: OAuthOutcome): number {
  if (outcome.result !== 'error') return 200;
  switch (outcome.reason) {
    case 'page_in_use':
    case 'app_not_configured':
      return 409;
    case 'meta_error':
      return 502;
    case 'browser_mismatch':
      return 403;
    default:
      return 400;
  }
}

/** With no APP_URL: a small page telling the person what happened and what to do next. */
export function outcomePage(outcome: OAuthOutcome): string {
  const [title, text] =
    outcome.result === 'connected'
      ? ['Facebook Page connected', `${outcome.pageName ? `“${outcome.pageName}”` : 'Your Page'} is connected. Messages sent to it on Messenger and Instagram now arrive in your inbox. You can close this window.`]
      : outcome.result === 'select_page'
        ? ['Choose a Page', `You shared ${outcome.pages} Pages. Go back to Settings > Integrations and pick the one to connect within 15 minutes.`]
        : ['Facebook Page not connected', outcome.message];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1 data-meta-result="${outcome.result}">${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
</body></html>
`;
}
