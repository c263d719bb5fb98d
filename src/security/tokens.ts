import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random bearer credential with a readable prefix (`mi_admin_…`, `mi_live_…`). */
export function generateToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Credentials are high-entropy random strings, so a plain SHA-256 is the right hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
