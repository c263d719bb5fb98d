import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import { generateToken, hashToken } from '../../../security/tokens';
import { MetaOAuthState } from '../entities/meta-oauth-state.entity';

export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;

export const invalidOAuthState = () =>
  new DomainError(DomainErrorCode.InvalidOAuthState, 'This Facebook Login link is invalid, already used or expired. Start the connection again from Settings > Integrations.');

/**
 * The OAuth `state`: random, bound to the organization that asked, single use and valid for
 * 10 minutes. Only its hash is stored, so a database reader cannot complete a login.
 */
@Injectable()
export class OAuthStateService {
  constructor(@InjectRepository(MetaOAuthState) private readonly states: Repository<MetaOAuthState>) {}

  async issue(organizationId: string): Promise<string> {
    await this.states.delete({ expiresAt: LessThan(new Date()) });
    const state = generateToken('st');
    await this.states.insert({ stateHash: hashToken(state), organizationId, expiresAt: new Date(Date.now() + OAUTH_STATE_TTL_MS) });
    return state;
  }

  /**
   * The organization a state was issued to; the state is gone afterwards. The delete is the
   * check, so two callbacks racing with one state cannot both win.
   */
  async consume(state: string | undefined): Promise<string> {
    if (!state) throw invalidOAuthState();
    // The CTE makes the driver hand back the deleted row as a plain SELECT result.
    const rows: Array<{ organization_id: string; fresh: boolean }> = await this.states.query(
      `WITH consumed AS (DELETE FROM meta_oauth_states WHERE state_hash = $1 RETURNING organization_id, expires_at)
       SELECT organization_id, expires_at > now() AS fresh FROM consumed`,
      [hashToken(state)],
    );
    const row = rows[0];
    if (!row?.fresh) throw invalidOAuthState();
    return row.organization_id;
  }
}
