import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { ApiKeyService } from '../organizations/api-key.service';
import { ApiKeyGuard, OrganizationRequest } from './api-key.guard';
import { bearerToken } from './bearer';
import { ScopedTokenService, TokenAgent } from './scoped-token.service';

export interface InboxRequest extends OrganizationRequest {
  /** The person a scoped token was minted for; null for an API key or a token without one. */
  agent?: TokenAgent | null;
  /** When the scoped token stops working; undefined for an API key. */
  tokenExpiresAt?: Date;
}

/**
 * The inbox routes: a scoped token (what a browser holds) or, as everywhere, the API key. Only
 * tokens are handled here; API keys go through `ApiKeyGuard` unchanged.
 */
@Injectable()
export class InboxAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: ScopedTokenService,
    private readonly apiKeys: ApiKeyGuard,
    private readonly keys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<InboxRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token || !this.tokens.isScopedToken(token)) return this.apiKeys.canActivate(context);
    const claims = this.tokens.verify(token);
    // A token lives no longer than the key that minted it: revoking the key ends it at once.
    if (claims && !(await this.keys.existing([claims.apiKeyId])).has(claims.apiKeyId)) {
      throw new DomainError(DomainErrorCode.Unauthorized, 'The API key this token was minted with has been revoked');
    }
    if (!claims) throw new DomainError(DomainErrorCode.Unauthorized, 'The token is invalid or has expired; get a new one with POST /api/auth/tokens');
    request.organizationId = claims.organizationId;
    request.apiKeyId = claims.apiKeyId;
    request.agent = claims.agent;
    request.tokenExpiresAt = claims.expiresAt;
    return true;
  }
}
