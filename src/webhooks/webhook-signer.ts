import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * The Standard Webhooks headers for one attempt: `webhook-id` (the event id, the same on every
 * retry), `webhook-timestamp` (now, unix seconds) and one `v1,<base64 HMAC-SHA256>` per secret
 * (space-separated) over `<id>.<timestamp>.<body>`, computed by the specification's library.
 */
export function signedHeaders(eventId: string, body: string, secrets: string[], now: Date): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(eventId, now, body));
  return {
    'content-type': 'application/json',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
