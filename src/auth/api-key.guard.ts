import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { ApiKeyService } from '../organizations/api-key.service';
import { bearerToken } from './bearer';

export interface OrganizationRequest extends FastifyRequest {
  organizationId?: string;
  /** The API key the request authenticated with (also the one a scoped token was minted with). */
  apiKeyId?: string;
}

/** Resolves `Authorization: Bearer <api key>` to the organization the request acts for. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeyService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<OrganizationRequest>();
    const token = bearerToken(request.headers.authorization);
    const key = token ? await this.apiKeys.authenticate(token) : undefined;
    if (!key) throw new DomainError(DomainErrorCode.Unauthorized, 'A valid API key is required');
    request.organizationId = key.organizationId;
    request.apiKeyId = key.keyId;
    return true;
  }
}
