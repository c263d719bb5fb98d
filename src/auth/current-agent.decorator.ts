import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { InboxRequest } from './inbox-auth.guard';
import type { TokenAgent } from './scoped-token.service';

/** The agent a scoped token was minted for, or null (use behind `InboxAuthGuard`). */
export const CurrentAgent = createParamDecorator(
  (_: unknown, context: ExecutionContext): TokenAgent | null => context.switchToHttp().getRequest<InboxRequest>().agent ?? null,
);
