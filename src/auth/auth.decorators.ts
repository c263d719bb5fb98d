import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminGuard } from './admin.guard';
import { ApiKeyGuard } from './api-key.guard';

/** Routes of an organization: `Authorization: Bearer <api key>`. */
export const OrganizationAuth = () =>
  applyDecorators(UseGuards(ApiKeyGuard), ApiBearerAuth('apiKey'), ApiUnauthorizedResponse({ description: 'No valid API key' }));

/** Admin routes: `Authorization: Bearer <admin token>`. */
export const AdminAuth = () =>
  applyDecorators(UseGuards(AdminGuard), ApiBearerAuth('adminToken'), ApiUnauthorizedResponse({ description: 'No valid admin token' }));
