import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { EncryptionService } from '../security/encryption.service';
import { safeEqual } from '../security/tokens';

/** Who a token acts as, when it was minted for a person at the inbox. */
export interface TokenAgent {
  id: string;
  name: string;
}

/** What a verified scoped token grants: one organization's inbox routes until `expiresAt`. */
export interface ScopedTokenClaims {
  organizationId: string;
  /** The API key it was minted with: revoking that key ends the token too. */
  apiKeyId: string;
  expiresAt: Date;
  agent: TokenAgent | null;
}

export const SCOPED_TOKEN_PREFIX = 'mi_tok_';
export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
export const MAX_TOKEN_TTL_SECONDS = 24 * 3600;

interface Payload {
  v: 1;
  org: string;
  key: string;
  exp: number;
  agent?: TokenAgent;
}

/**
 * Short-lived bearer tokens for browsers, so the organization's API key never sits in one.
 * A token is self-contained and signed (HMAC-SHA256 with a key derived from the encryption key,
 * which every instance shares), so checking one costs no database round trip and any
 * instance accepts what another minted.
 */
@Injectable()
export class ScopedTokenService {
  private readonly key: Buffer;

  constructor(encryption: EncryptionService) {
    this.key = encryption.deriveKey('scoped-tokens');
  }

  mint(
    organizationId: string,
    apiKeyId: string,
    options: { ttlSeconds?: number; agent?: TokenAgent | null; now?: Date } = {},
  ): { token: string; expiresAt: Date } {
    const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) throw new RangeError(`ttlSeconds must be 1..${MAX_TOKEN_TTL_SECONDS}`);
    const expiresAt = new Date((options.now ?? new Date()).getTime() + ttl * 1000);
    const payload: Payload = { v: 1, org: organizationId, key: apiKeyId, exp: expiresAt.getTime() };
    if (options.agent) payload.agent = { id: options.agent.id, name: options.agent.name };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${SCOPED_TOKEN_PREFIX}${body}.${this.sign(body)}`, expiresAt };
  }

  /** Whether a bearer credential is meant to be one of ours (whatever its validity). */
  isScopedToken(token: string): boolean {
    return token.startsWith(SCOPED_TOKEN_PREFIX);
  }

  /** The claims of a genuine, unexpired token; undefined for anything else. */
  verify(token: string, now: Date = new Date()): ScopedTokenClaims | undefined {
    if (!this.isScopedToken(token)) return undefined;
    const [body, signature, extra] = token.slice(SCOPED_TOKEN_PREFIX.length).split('.');
    if (!body || !signature || extra !== undefined || !safeEqual(signature, this.sign(body))) return undefined;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    if (payload.v !== 1 || typeof payload.org !== 'string' || typeof payload.key !== 'string' || typeof payload.exp !== 'number') return undefined;
    if (payload.exp <= now.getTime()) return undefined;
    return { organizationId: payload.org, apiKeyId: payload.key, expiresAt: new Date(payload.exp), agent: payload.agent ?? null };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(`${SCOPED_TOKEN_PREFIX}${body}`).digest('base64url');
  }
}
