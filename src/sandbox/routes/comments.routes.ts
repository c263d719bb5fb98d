import { faults } from '../graph-fault';
import { json, SandboxContext, SandboxReply, SandboxRoute } from '../sandbox-route';
import type { SandboxComment, SandboxPage } from '../sandbox.types';

function pageOf(ctx: SandboxContext): SandboxPage {
  const owner = ctx.state.authenticate(ctx.params, ctx.headers.authorization);
  if (owner.kind !== 'page') throw faults.needPageToken();
  return owner.page;
}

/** Meta's changes reach the service after the answer, as its webhooks do. */
function announceLater(ctx: SandboxContext, delivery: Parameters<NonNullable<SandboxContext['state']['announce']>>[0] | null): void {
  const announce = ctx.state.announce;
  if (delivery && announce) setTimeout(() => void announce(delivery).catch(() => undefined), 20);
}

function reply(ctx: SandboxContext, commentId: string, platform: SandboxComment['platform']): SandboxReply {
  const page = pageOf(ctx);
  const { id, delivery } = ctx.state.commentBook.reply(page, commentId, platform, ctx.params.message);
  announceLater(ctx, delivery);
  return json({ id });
}

/** `POST /{comment-id}` with `is_hidden` (Facebook) or `hide` (Instagram). */
function setHidden(ctx: SandboxContext, commentId: string): SandboxReply {
  const page = pageOf(ctx);
  const comment = ctx.state.commentBook.require(commentId);
  if (comment.pageId !== page.id) throw faults.unknownObject(commentId);
  const field = comment.platform === 'instagram' ? 'hide' : 'is_hidden';
  const raw = ctx.params[field];
  if (raw === undefined) throw faults.invalidParameter(`The parameter ${field} is required`);
  const hidden = raw === true || raw === 'true';
  ctx.state.commentBook.change(commentId, hidden ? 'hide' : 'unhide');
  return json({ success: true });
}

/** Comment moderation: public replies (`/comments` on Facebook, `/replies` on Instagram) and hiding. */
export const commentRoutes: SandboxRoute[] = [
  { method: 'POST', pattern: /^([^/]+)\/comments$/, handle: (ctx, match) => reply(ctx, match[1], 'facebook') },
  { method: 'POST', pattern: /^([^/]+)\/replies$/, handle: (ctx, match) => reply(ctx, match[1], 'instagram') },
  { method: 'POST', pattern: /^([^/]+)$/, handle: (ctx, match) => setHidden(ctx, match[1]) },
];
