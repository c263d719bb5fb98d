import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { AdminGuard } from './admin.guard';
import { ApiKeyGuard } from './api-key.guard';
import { InboxAuthGuard } from './inbox-auth.guard';
import { ScopedTokenRefusalGuard } from './scoped-token-refusal.guard';

/** Routes of an organization: `Authorization: Bearer <api key>` (a scoped token is refused, 403). */
export const OrganizationAuth = () =>
  applyDecorators(
    UseGuards(ScopedTokenRefusalGuard, ApiKeyGuard),
    ApiBearerAuth('apiKey'),
    ApiErrors([401, 'No valid API key'], [403, 'A scoped token, which opens the inbox routes only']),
  );

/** The inbox routes: the API key, or a scoped token from `POST /api/auth/tokens`. */
export const InboxAuth = () =>
  applyDecorators(UseGuards(InboxAuthGuard), ApiBearerAuth('apiKey'), ApiBearerAuth('scopedToken'), ApiErrors([401, 'No valid API key or token']));

/** Admin routes: `Authorization: Bearer <admin token>`. */
export const AdminAuth = () =>
  applyDecorators(UseGuards(ScopedTokenRefusalGuard, AdminGuard), ApiBearerAuth('adminToken'), ApiErrors([401, 'No valid admin token']));
