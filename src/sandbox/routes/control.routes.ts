import type { MetaSandbox } from '../meta-sandbox';
import { json, SandboxRoute } from '../sandbox-route';
import { deliveryEvent, inboundMessageEvent, webhookOf } from '../webhook-events';

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
    {
      // Messenger delivery receipts (watermark now) for everything the Page sent, as the people's phones would.
      method: 'POST',
      pattern: /^delivered$/,
      async handle() {
        const recipients = new Map<string, string>();
        for (const sent of sandbox.sent()) if (sent.messageId && !sent.instagramAccountId) recipients.set(`${sent.pageId}/${sent.recipientId}`, sent.pageId);
        const answers = [];
        for (const [key, pageId] of recipients) {
          const user = key.slice(pageId.length + 1);
          answers.push(await sandbox.postWebhook(webhookOf('messenger', pageId, deliveryEvent({ account: pageId, user }, { watermark: Date.now() }))));
        }
        return json({ receipts: answers.length });
      },
    },
    // An integrator's endpoint: register `<sandbox>/_sandbox/integrator-webhooks` with POST /api/webhooks.
    { method: 'GET', pattern: /^integrator-webhooks$/, handle: () => json(sandbox.state.integratorWebhooks) },
    {
      method: 'POST',
      pattern: /^integrator-webhooks$/,
      handle(ctx) {
        const id = String(ctx.headers['webhook-id'] ?? '');
        const duplicate = sandbox.state.integratorWebhooks.some((hook) => hook.id === id);
        sandbox.state.integratorWebhooks.push({
          id,
          timestamp: String(ctx.headers['webhook-timestamp'] ?? ''),
          signature: String(ctx.headers['webhook-signature'] ?? ''),
          duplicate,
          receivedAt: new Date().toISOString(),
          rawBody: ctx.rawBody ?? '',
          body: ctx.body,
        });
        return json({ ok: true });
      },
    },
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
      pattern: /^comments$/,
      async handle(ctx) {
        const platform = ctx.body.channel === 'instagram' || ctx.body.channel === 'instagram_dm' ? 'instagram' : 'facebook';
        const ageDays = Number(ctx.body.ageDays ?? 0);
        try {
          const { comment, delivered } = await sandbox.postComment({
            platform,
            pageId: typeof ctx.body.pageId === 'string' ? ctx.body.pageId : undefined,
            text: ctx.body.text,
            from: ctx.body.from,
            postId: ctx.body.postId,
            parentId: ctx.body.parentId,
            createdTime: Date.now() - ageDays * 24 * 3600 * 1000,
          });
          return json({ comment, delivered }, 201);
        } catch (error) {
          return json({ error: (error as Error).message }, 400);
        }
      },
    },
    { method: 'GET', pattern: /^comments$/, handle: () => json([...sandbox.state.comments.values()]) },
    {
      method: 'POST',
      pattern: /^comments\/([^/]+)\/(edited|remove|hide|unhide)$/,
      async handle(ctx, match) {
        if (!sandbox.comment(match[1])) return json({ error: 'no such comment' }, 404);
        return json({ delivered: await sandbox.changeComment(match[1], match[2] as 'edited', ctx.body.text) });
      },
    },
    {
      method: 'POST',
      pattern: /^story-mention$/,
      async handle(ctx) {
        const from = String(ctx.body.from ?? sandbox.defaultSenders.instagram ?? '');
        if (!from) return json({ error: 'from (an IGSID) is required' }, 400);
        return json(await sandbox.postStoryMention({ from, igAccountId: ctx.body.igAccountId }), 201);
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
