import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import { generateToken, hashToken, safeEqual } from '../../../security/tokens';
import { MetaOAuthState } from '../entities/meta-oauth-state.entity';

export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;

export const invalidOAuthState = () =>
  new DomainError(DomainErrorCode.InvalidOAuthState, 'This Facebook Login link is invalid, already used or expired. Start the connection again from Settings > Integrations.');

/** A state handed out, and the nonce its browser must hold (none yet for a start link). */
export interface IssuedState {
  state: string;
  browserNonce: string | null;
}

/** What a callback's state and cookie prove. */
export interface ConsumedState {
  organizationId: string;
  sameBrowser: boolean;
}

/**
 * The OAuth `state`: random, bound to the organization that asked and to the browser that
 * started the flow (a nonce in an HttpOnly cookie), single use and valid for 10 minutes. Only
 * hashes are stored, so a database reader cannot complete a login.
 */
@Injectable()
export class OAuthStateService {
  constructor(@InjectRepository(MetaOAuthState) private readonly states: Repository<MetaOAuthState>) {}

  /** With `bindNow` the browser nonce is made at once (the caller's browser gets the cookie). */
  async issue(organizationId: string, bindNow: boolean): Promise<IssuedState> {
    await this.states.delete({ expiresAt: LessThan(new Date()) });
    const state = generateToken('st');
    const browserNonce = bindNow ? generateToken('br') : null;
    await this.states.insert({
      stateHash: hashToken(state),
      organizationId,
      browserHash: browserNonce ? hashToken(browserNonce) : null,
      expiresAt: new Date(Date.now() + OAUTH_STATE_TTL_MS),
    });
    return { state, browserNonce };
  }

  /**
   * Binds a start link's state to the browser that opened it, once: the nonce for its cookie,
   * or null when the state is unknown, expired or already bound.
   */
  async bindBrowser(state: string | undefined): Promise<string | null> {
    if (!state) return null;
    const browserNonce = generateToken('br');
    const rows: unknown[] = await this.states.query(
      `WITH bound AS (
         UPDATE meta_oauth_states SET browser_hash = $2
         WHERE state_hash = $1 AND browser_hash IS NULL AND expires_at > now() RETURNING 1
       ) SELECT * FROM bound`,
      [hashToken(state), hashToken(browserNonce)],
    );
    return rows.length > 0 ? browserNonce : null;
  }

  /**
   * The organization a state was issued to, and whether the callback came from the browser
   * that started the flow; the state is gone afterwards either way (a state presented without
   * its cookie is spent). The delete is the check, so two callbacks racing with one state
   * cannot both win.
   */
  async consume(state: string | undefined, browserNonce: string | undefined): Promise<ConsumedState> {
    if (!state) throw invalidOAuthState();
    // The CTE makes the driver hand back the deleted row as a plain SELECT result.
    const rows: Array<{ organization_id: string; fresh: boolean; browser_hash: string | null }> = await this.states.query(
      `WITH consumed AS (DELETE FROM meta_oauth_states WHERE state_hash = $1 RETURNING organization_id, expires_at, browser_hash)
       SELECT organization_id, expires_at > now() AS fresh, browser_hash FROM consumed`,
      [hashToken(state)],
    );
    const row = rows[0];
    if (!row?.fresh) throw invalidOAuthState();
    const sameBrowser = !!row.browser_hash && !!browserNonce && safeEqual(hashToken(browserNonce), row.browser_hash);
    return { organizationId: row.organization_id, sameBrowser };
  }
}
