import type { MetaSandbox } from '../meta-sandbox';
import { json, SandboxRoute } from '../sandbox-route';
import { inboundMessageEvent } from '../webhook-events';

const CHANNELS: Record<string, 'messenger' | 'instagram'> = {
  messenger: 'messenger',
  facebook_messenger: 'messenger',
  instagram: 'instagram',
  instagram_dm: 'instagram',
};

function pageFor(sandbox: MetaSandbox, pageId: unknown) {
  const pages = [...sandbox.state.pages.values()];
  return (typeof pageId === 'string' ? pages.find((p) => p.id === pageId) : pages[0]) ?? null;
}

/** `/_sandbox/*`: a person (or a script) drives the standalone sandbox through these. */
export function controlRoutes(sandbox: MetaSandbox): SandboxRoute[] {
  return [
    { method: 'GET', pattern: /^$/, handle: () => json(sandbox.describe()) },
    { method: 'GET', pattern: /^requests$/, handle: () => json(sandbox.requests) },
    { method: 'GET', pattern: /^sent$/, handle: () => json(sandbox.sent()) },
    { method: 'GET', pattern: /^unmatched$/, handle: () => json(sandbox.unmatched) },
    { method: 'GET', pattern: /^pages$/, handle: () => json([...sandbox.state.pages.values()]) },
    {
      method: 'POST',
      pattern: /^pages$/,
      handle: (ctx) => json(sandbox.addPage({ id: String(ctx.body.id), name: String(ctx.body.name ?? ctx.body.id), instagram: ctx.body.instagram }), 201),
    },
    {
      method: 'POST',
      pattern: /^profiles$/,
      handle(ctx) {
        sandbox.addProfile(String(ctx.body.id), ctx.body.fields ?? {});
        return json({ ok: true }, 201);
      },
    },
    {
      method: 'POST',
      pattern: /^inbound$/,
      async handle(ctx) {
        const channel = CHANNELS[String(ctx.body.channel ?? 'messenger')];
        const page = pageFor(sandbox, ctx.body.pageId);
        if (!channel || !page) return json({ error: 'channel must be messenger|instagram and a Page must exist' }, 400);
        if (channel === 'instagram' && !page.instagram) return json({ error: `Page ${page.id} has no Instagram account` }, 400);
        const attachments = ctx.body.attachmentUrl ? [{ type: ctx.body.attachmentType ?? 'image', payload: { url: ctx.body.attachmentUrl } }] : undefined;
        const event = inboundMessageEvent({
          channel,
          recipientId: channel === 'instagram' ? page.instagram!.id : page.id,
          from: String(ctx.body.from ?? sandbox.defaultSenders[channel] ?? ''),
          text: ctx.body.text ?? (attachments ? undefined : 'Hello from the sandbox'),
          attachments,
        });
        try {
          return json({ delivered: await sandbox.postWebhook(event), event });
        } catch (error) {
          return json({ error: `Could not reach the webhook target ${sandbox.webhookTarget}: ${(error as Error).message}`, event }, 502);
        }
      },
    },
    {
      method: 'POST',
      pattern: /^fail$/,
      handle(ctx) {
        const { count = 1, path, ...fault } = ctx.body;
        sandbox.failNext(Number(count), { ...fault, path: typeof path === 'string' ? new RegExp(path) : undefined });
        return json({ ok: true });
      },
    },
    {
      method: 'POST',
      pattern: /^expire$/,
      handle(ctx) {
        const page = pageFor(sandbox, ctx.body.pageId);
        if (!page) return json({ error: 'no such Page' }, 404);
        sandbox.expireToken(page.accessToken);
        return json({ ok: true, pageId: page.id });
      },
    },
    { method: 'GET', pattern: /^attachments$/, handle: () => json([...sandbox.state.attachments.values()]) },
    {
      method: 'POST',
      pattern: /^attachments\/expire$/,
      handle: (ctx) => json({ expired: sandbox.state.expireAttachments(Array.isArray(ctx.body.ids) ? ctx.body.ids.map(String) : undefined) }),
    },
    {
      method: 'POST',
      pattern: /^clear$/,
      handle() {
        sandbox.clear();
        return json({ ok: true });
      },
    },
  ];
}
