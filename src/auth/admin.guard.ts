import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { AdminTokenService } from './admin-token.service';
import { bearerToken } from './bearer';

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly adminTokens: AdminTokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token || !this.adminTokens.matches(token)) {
      throw new DomainError(DomainErrorCode.Unauthorized, 'A valid admin token is required');
    }
    return true;
  }
}
