import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { OrganizationRequest } from './api-key.guard';

/** The id of the organization the API key belongs to (use behind `ApiKeyGuard`). */
export const CurrentOrganization = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const organizationId = context.switchToHttp().getRequest<OrganizationRequest>().organizationId;
  if (!organizationId) throw new Error('CurrentOrganization used on a route without ApiKeyGuard');
  return organizationId;
});
