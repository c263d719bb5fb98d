import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminTokenService } from '../auth/admin-token.service';
import { bearerToken } from '../auth/bearer';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { hashToken, safeEqual } from '../security/tokens';

/** `GET /metrics` takes the admin token, or METRICS_TOKEN so a scraper needs no admin rights. */
@Injectable()
export class MetricsGuard implements CanActivate {
  private readonly metricsTokenHash?: string;

  constructor(
    private readonly adminTokens: AdminTokenService,
    config: AppConfig,
  ) {
    this.metricsTokenHash = config.metricsToken ? hashToken(config.metricsToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const token = bearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    const allowed =
      token !== undefined &&
      ((this.metricsTokenHash !== undefined && safeEqual(hashToken(token), this.metricsTokenHash)) || this.adminTokens.matches(token));
    if (!allowed) throw new DomainError(DomainErrorCode.Unauthorized, 'The admin token or METRICS_TOKEN is required');
    return true;
  }
}
