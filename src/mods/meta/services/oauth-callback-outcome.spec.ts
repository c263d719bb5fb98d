import { outcomeHttpStatus, outcomePage, outcomeRedirect } from './oauth-callback-outcome';

describe('OAuth callback outcome', () => {
  it('redirects to the app URL with the result, and the reason on errors, keeping its own query', () => {
    expect(outcomeRedirect('https://inbox.example/settings?tab=integrations', { result: 'connected', pageName: 'P' })).toBe(
      'https://inbox.example/settings?tab=integrations&meta=connected',
    );
    expect(outcomeRedirect('https://inbox.example', { result: 'select_page', pages: 2 })).toBe('https://inbox.example/?meta=select_page');
    expect(outcomeRedirect('https://inbox.example', { result: 'error', reason: 'page_in_use', message: 'x' })).toBe('https://inbox.example/?meta=error&reason=page_in_use');
  });

  it('answers 200 for success and a status matching the failure otherwise', () => {
    expect(outcomeHttpStatus({ result: 'connected', pageName: null })).toBe(200);
    expect(outcomeHttpStatus({ result: 'select_page', pages: 3 })).toBe(200);
    expect(outcomeHttpStatus({ result: 'error', reason: 'access_denied', message: '' })).toBe(400);
    expect(outcomeHttpStatus({ result: 'error', reason: 'page_in_use', message: '' })).toBe(409);
    expect(outcomeHttpStatus({ result: 'error', reason: 'meta_error', message: '' })).toBe(502);
  });

  it('tells the person what happened on a page that escapes what Meta or the Page name say', () => {
    expect(outcomePage({ result: 'connected', pageName: '<b>Cafe</b>' })).toContain('&lt;b&gt;Cafe&lt;/b&gt;');
    expect(outcomePage({ result: 'select_page', pages: 2 })).toContain('Settings &gt; Integrations');
    const error = outcomePage({ result: 'error', reason: 'meta_error', message: 'Meta says "<no>"' });
    expect(error).toContain('Meta says &quot;&lt;no&gt;&quot;');
    expect(error).toContain('data-meta-result="error"');
  });
});
