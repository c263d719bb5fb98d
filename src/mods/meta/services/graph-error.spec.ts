import { appSecretProof } from './graph-api.client';
import { classifyGraphError, GraphErrorKind, MetaApiError } from './graph-error';
import { ErrorMessages } from '../../../common/domain-error';

describe('classifyGraphError', () => {
  it.each([
    [190, null, 400, GraphErrorKind.TokenExpired],
    [190, 463, 400, GraphErrorKind.TokenExpired],
    [190, 460, 400, GraphErrorKind.TokenExpired],
    [4, null, 400, GraphErrorKind.RateLimited],
    [17, null, 400, GraphErrorKind.RateLimited],
    [32, null, 400, GraphErrorKind.RateLimited],
    [613, null, 400, GraphErrorKind.RateLimited],
    [1, null, 500, GraphErrorKind.Transient],
    [2, null, 503, GraphErrorKind.Transient],
    [10, 2018278, 400, GraphErrorKind.OutsideWindow],
    [10, 2534022, 400, GraphErrorKind.OutsideWindow],
    [10, null, 403, GraphErrorKind.PermissionMissing],
    [200, null, 403, GraphErrorKind.PermissionMissing],
    [230, null, 403, GraphErrorKind.PermissionMissing],
    [100, null, 400, GraphErrorKind.InvalidParameter],
    [551, null, 400, GraphErrorKind.RecipientUnavailable],
    [10900, null, 400, GraphErrorKind.AlreadyReplied],
    [10903, null, 400, GraphErrorKind.CannotReplyToComment],
    [null, null, 502, GraphErrorKind.Transient],
    [null, null, null, GraphErrorKind.Transient],
    [null, null, 429, GraphErrorKind.Transient],
    [9999, null, 400, GraphErrorKind.Unknown],
  ])('code %p subcode %p HTTP %p is %s', (code, subcode, httpStatus, kind) => {
    expect(classifyGraphError({ code, subcode, httpStatus })).toBe(kind);
  });

  it('never reads the message text', () => {
    const expiredWording = new MetaApiError('Error validating access token: Session has expired', 100, null, 'OAuthException', 'x', 400);
    expect(expiredWording.kind).toBe(GraphErrorKind.InvalidParameter);
    const plainWording = new MetaApiError('Something odd', 190, null, 'OAuthException', 'x', 400);
    expect(plainWording.kind).toBe(GraphErrorKind.TokenExpired);
  });

  it('marks rate limits and service errors transient, everything else permanent', () => {
    expect(new MetaApiError('m', 613, null, null, null, 400).transient).toBe(true);
    expect(new MetaApiError('m', 2, null, null, null, 500).transient).toBe(true);
    expect(new MetaApiError('m', 100, null, null, null, 400).transient).toBe(false);
    expect(new MetaApiError('m', 190, null, null, null, 400).transient).toBe(false);
  });

  it('tells a person to reconnect on 190, with the contract wording', () => {
    expect(new MetaApiError('m', 190, null, null, null, 400).userMessage()).toBe(ErrorMessages.connectionExpired);
  });

  it('keeps code, subcode, message and trace id as error details', () => {
    const error = new MetaApiError('(#100) No matching user found', 100, 2018001, 'OAuthException', 'AbC123', 400);
    expect(error.details()).toEqual({ code: 100, subcode: 2018001, message: '(#100) No matching user found', fbtraceId: 'AbC123' });
  });
});

describe('appSecretProof', () => {
  it('is the hex HMAC-SHA256 of the token keyed with the app secret', () => {
    // echo -n "token123" | openssl dgst -sha256 -hmac "secret456"
    expect(appSecretProof('token123', 'secret456')).toBe('e528e7743fcec6831fbdfa612f05176dca65d2bb78420acdad034395e76fda44');
  });
});
