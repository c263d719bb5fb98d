import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { AdminGuard } from './admin.guard';
import { ApiKeyGuard } from './api-key.guard';

/** Routes of an organization: `Authorization: Bearer <api key>`. */
export const OrganizationAuth = () =>
  applyDecorators(UseGuards(ApiKeyGuard), ApiBearerAuth('apiKey'), ApiErrors([401, 'No valid API key']));

/** Admin routes: `Authorization: Bearer <admin token>`. */
export const AdminAuth = () =>
  applyDecorators(UseGuards(AdminGuard), ApiBearerAuth('adminToken'), ApiErrors([401, 'No valid admin token']));
