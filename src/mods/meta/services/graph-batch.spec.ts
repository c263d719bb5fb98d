import { batchAnswerOf, batchItemOf } from './graph-batch';
import { GraphErrorKind } from './graph-error';

describe('batchItemOf', () => {
  it('writes the body as the form Meta reads, objects as JSON, without the leading slash of the path', () => {
    const item = batchItemOf({ method: 'POST', path: '/me/messages', body: { recipient: { id: '1' }, messaging_type: 'RESPONSE', tag: undefined, message: { text: 'a&b=c' } } });
    expect(item.method).toBe('POST');
    expect(item.relative_url).toBe('me/messages');
    expect(Object.fromEntries(new URLSearchParams(item.body))).toEqual({ recipient: '{"id":"1"}', messaging_type: 'RESPONSE', message: '{"text":"a&b=c"}' });
  });

  it('leaves the body out of a call without one', () => {
    expect(batchItemOf({ method: 'GET', path: 'me' })).toEqual({ method: 'GET', relative_url: 'me' });
  });
});

describe('batchAnswerOf', () => {
  it('answers the parsed body of a 2xx item', () => {
    expect(batchAnswerOf({ code: 200, body: '{"message_id":"m_1"}' })).toEqual({ ok: true, value: { message_id: 'm_1' } });
  });

  it('classifies an item Meta refused by its error code, with its HTTP status', () => {
    const answer = batchAnswerOf({ code: 400, body: JSON.stringify({ error: { message: '(#613) Calls exceeded', code: 613, type: 'OAuthException', fbtrace_id: 'Ax' } }) });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error).toMatchObject({ code: 613, httpStatus: 400, kind: GraphErrorKind.RateLimited, fbtraceId: 'Ax' });
  });

  it('makes an item Meta gave up on (null) a transient failure with no answer', () => {
    const answer = batchAnswerOf(null);
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error).toMatchObject({ code: null, httpStatus: null, kind: GraphErrorKind.Transient });
  });

  it('makes a 5xx item without an error envelope, or a 2xx one that is not JSON, a transient failure', () => {
    for (const item of [{ code: 503, body: 'Service Unavailable' }, { code: 200, body: '<html>' }]) {
      const answer = batchAnswerOf(item);
      expect(answer.ok).toBe(false);
      if (!answer.ok) expect(answer.error.kind).toBe(GraphErrorKind.Transient);
    }
  });
});
