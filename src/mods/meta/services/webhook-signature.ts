import { createHmac } from 'node:crypto';
import { safeEqual } from '../../../security/tokens';

/**
 * Checks Meta's `X-Hub-Signature-256: sha256=<hex>` against the HMAC-SHA256 of the exact bytes
 * received, keyed with the app secret, in constant time.
 */
export function isValidWebhookSignature(rawBody: Buffer | undefined, header: unknown, appSecret: string): boolean {
  if (!rawBody || typeof header !== 'string') return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest('hex');
  return safeEqual(expected, match[1].toLowerCase());
}
