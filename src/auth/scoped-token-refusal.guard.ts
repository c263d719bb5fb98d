import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { bearerToken } from './bearer';
import { ScopedTokenService } from './scoped-token.service';

/**
 * Placed before the API-key or admin guard of every route outside the inbox: a genuine scoped
 * token there is a 403 (it is valid, just not for this), where anything else unknown is a 401.
 */
@Injectable()
export class ScopedTokenRefusalGuard implements CanActivate {
  constructor(private readonly tokens: ScopedTokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    if (token && this.tokens.verify(token)) {
      throw new DomainError(DomainErrorCode.Forbidden, 'This token opens the inbox routes only; this route needs the API key');
    }
    return true;
  }
}
