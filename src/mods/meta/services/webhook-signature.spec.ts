import { createHmac } from 'node:crypto';
import { isValidWebhookSignature } from './webhook-signature';

describe('webhook signature', () => {
  const secret = 'app-secret';
  const raw = Buffer.from('{"object":"page","entry":[]}');
  const sign = (body: Buffer, key = secret) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

  it('accepts the HMAC-SHA256 of the raw bytes', () => {
    expect(isValidWebhookSignature(raw, sign(raw), secret)).toBe(true);
    expect(isValidWebhookSignature(raw, sign(raw).toUpperCase().replace('SHA256', 'sha256'), secret)).toBe(true);
  });

  it('refuses another key, other bytes (even the same JSON re-serialized), or a malformed header', () => {
    expect(isValidWebhookSignature(raw, sign(raw, 'other'), secret)).toBe(false);
    expect(isValidWebhookSignature(Buffer.from('{"object": "page", "entry": []}'), sign(raw), secret)).toBe(false);
    expect(isValidWebhookSignature(raw, sign(raw).replace('sha256=', 'sha1='), secret)).toBe(false);
    expect(isValidWebhookSignature(raw, sign(raw).slice(0, -2), secret)).toBe(false);
    expect(isValidWebhookSignature(raw, undefined, secret)).toBe(false);
    expect(isValidWebhookSignature(raw, [sign(raw)], secret)).toBe(false);
    expect(isValidWebhookSignature(undefined, sign(raw), secret)).toBe(false);
  });
});
