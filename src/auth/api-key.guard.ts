import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { ApiKeyService } from '../organizations/api-key.service';
import { bearerToken } from './bearer';

export interface OrganizationRequest extends FastifyRequest {
  organizationId?: string;
}

/** Resolves `Authorization: Bearer <api key>` to the organization the request acts for. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeyService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<OrganizationRequest>();
    const token = bearerToken(request.headers.authorization);
    const organizationId = token ? await this.apiKeys.organizationFor(token) : undefined;
    if (!organizationId) throw new DomainError(DomainErrorCode.Unauthorized, 'A valid API key is required');
    request.organizationId = organizationId;
    return true;
  }
}
