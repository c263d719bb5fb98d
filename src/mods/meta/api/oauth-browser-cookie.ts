/**
 * The cookie that binds a Facebook Login flow to the browser that started it (login-CSRF
 * defence). HttpOnly so no script reads it; SameSite=Lax so it rides along on the top-level
 * redirect back from Facebook but on no cross-site subrequest; scoped to the OAuth routes.
 */
export const OAUTH_BROWSER_COOKIE = 'meta_inbox_oauth';
const COOKIE_PATH = '/api/meta/oauth';

export function oauthBrowserCookie(nonce: string, publicUrl: string, maxAgeSeconds: number): string {
  const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${OAUTH_BROWSER_COOKIE}=${nonce}; Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

export function clearedOAuthBrowserCookie(publicUrl: string): string {
  return oauthBrowserCookie('', publicUrl, 0);
}

/** The nonce from a `Cookie` header, if the browser sent ours. */
export function readOAuthBrowserCookie(header: string | undefined): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === OAUTH_BROWSER_COOKIE && value.length > 0) return value.join('=') || undefined;
  }
  return undefined;
}
