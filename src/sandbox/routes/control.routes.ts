import type { MetaSandbox } from '../meta-sandbox';
import { json, SandboxRoute } from '../sandbox-route';
import { deliveryEvent, inboundMessageEvent, readEvent, webhookOf } from '../webhook-events';

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
    { method: 'GET', pattern: /^$/, doc: { path: '/_sandbox', does: 'settings, these routes, the fault options, Pages and profiles' }, handle: () => json(sandbox.describe()) },
    { method: 'GET', pattern: /^requests$/, doc: { path: '/_sandbox/requests', does: 'every Graph call received, in order' }, handle: () => json(sandbox.requests) },
    { method: 'GET', pattern: /^sent$/, doc: { path: '/_sandbox/sent', does: 'what the Send API was asked to send' }, handle: () => json(sandbox.sent()) },
    { method: 'GET', pattern: /^unmatched$/, doc: { path: '/_sandbox/unmatched', does: 'calls no Graph route answered (a 404 Graph error each)' }, handle: () => json(sandbox.unmatched) },
    {
      // Messenger delivery receipts (watermark now) for everything the Page sent, as the people's phones would.
      method: 'POST',
      pattern: /^delivered$/,
      doc: { path: '/_sandbox/delivered', does: 'Messenger delivery receipts (watermark now) for everything the Pages sent' },
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
    { method: 'GET', pattern: /^integrator-webhooks$/, doc: { path: '/_sandbox/integrator-webhooks', does: 'what the integrator endpoint below received' }, handle: () => json(sandbox.state.integratorWebhooks) },
    {
      method: 'POST',
      pattern: /^integrator-webhooks$/,
      doc: { path: '/_sandbox/integrator-webhooks', body: '<an event envelope>', does: 'an integrator endpoint: register it with POST /api/webhooks' },
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
    { method: 'GET', pattern: /^pages$/, doc: { path: '/_sandbox/pages', does: 'the Pages with their tokens and Instagram accounts' }, handle: () => json([...sandbox.state.pages.values()]) },
    {
      method: 'POST',
      pattern: /^pages$/,
      doc: { path: '/_sandbox/pages', body: '{"id":"105","name":"Other Page","instagram":{"id":"178","username":"other"}}', does: 'adds a Page the Login dialog grants' },
      handle: (ctx) => json(sandbox.addPage({ id: String(ctx.body.id), name: String(ctx.body.name ?? ctx.body.id), instagram: ctx.body.instagram }), 201),
    },
    {
      method: 'POST',
      pattern: /^profiles$/,
      doc: { path: '/_sandbox/profiles', body: '{"id":"<psid or igsid>","fields":{"first_name":"Ada"}}', does: "sets a person's profile fields" },
      handle(ctx) {
        sandbox.addProfile(String(ctx.body.id), ctx.body.fields ?? {});
        return json({ ok: true }, 201);
      },
    },
    {
      method: 'POST',
      pattern: /^inbound$/,
      doc: {
        path: '/_sandbox/inbound',
        body: '{"channel":"messenger|instagram","text":"Hi!","from":"<psid>","pageId":"<page>","attachmentUrl":"<url>","attachmentType":"image"}',
        does: "posts a customer's message to the service as a signed webhook",
      },
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
      // The customer's app saw (delivery) or opened (read) everything the Page sent them.
      method: 'POST',
      pattern: /^receipt$/,
      doc: {
        path: '/_sandbox/receipt',
        body: '{"channel":"messenger|instagram","type":"delivery|read","from":"<psid>","pageId":"<page>"}',
        does: "one delivery or read receipt from a customer (the demo one by default) for what the Page sent them",
      },
      async handle(ctx) {
        const channel = CHANNELS[String(ctx.body.channel ?? 'messenger')];
        const type = ctx.body.type ?? 'read';
        const page = pageFor(sandbox, ctx.body.pageId);
        if (!channel || !page || (type !== 'delivery' && type !== 'read')) {
          return json({ error: 'channel must be messenger|instagram, type delivery|read, and a Page must exist' }, 400);
        }
        const account = channel === 'instagram' ? page.instagram?.id : page.id;
        const user = String(ctx.body.from ?? sandbox.defaultSenders[channel] ?? '');
        if (!account) return json({ error: `Page ${page.id} has no Instagram account` }, 400);
        const parties = { account, user };
        let event;
        if (channel === 'messenger') {
          event = type === 'delivery' ? deliveryEvent(parties, { watermark: Date.now() }) : readEvent(parties, { watermark: Date.now() });
        } else {
          // Instagram sends no deliveries, and names the message it read.
          const last = sandbox.sent().filter((m) => m.recipientId === user && m.messageId).at(-1);
          if (type === 'delivery' || !last) return json({ error: 'Instagram has read receipts only, for a message sent to this user' }, 400);
          event = readEvent(parties, { mid: last.messageId });
        }
        const body = webhookOf(channel, account, event);
        try {
          return json({ delivered: await sandbox.postWebhook(body), event: body });
        } catch (error) {
          return json({ error: `Could not reach the webhook target ${sandbox.webhookTarget}: ${(error as Error).message}`, event: body }, 502);
        }
      },
    },
    {
      method: 'POST',
      pattern: /^comments$/,
      doc: {
        path: '/_sandbox/comments',
        body: '{"channel":"facebook|instagram","text":"How much?","from":"<id>","postId":"<post>","parentId":"<comment>","ageDays":0}',
        does: 'someone comments on a Page post or Instagram media (its signed webhook is posted)',
      },
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
    { method: 'GET', pattern: /^comments$/, doc: { path: '/_sandbox/comments', does: 'the comments the sandbox knows' }, handle: () => json([...sandbox.state.comments.values()]) },
    {
      method: 'POST',
      pattern: /^comments\/([^/]+)\/(edited|remove|hide|unhide)$/,
      doc: { path: '/_sandbox/comments/{id}/edited|remove|hide|unhide', body: '{"text":"…"}', does: "changes a comment as its author or Meta's apps would" },
      async handle(ctx, match) {
        if (!sandbox.comment(match[1])) return json({ error: 'no such comment' }, 404);
        return json({ delivered: await sandbox.changeComment(match[1], match[2] as 'edited', ctx.body.text) });
      },
    },
    {
      method: 'POST',
      pattern: /^story-mention$/,
      doc: { path: '/_sandbox/story-mention', body: '{"from":"<igsid>"}', does: "someone mentions the Instagram account in their story" },
      async handle(ctx) {
        const from = String(ctx.body.from ?? sandbox.defaultSenders.instagram ?? '');
        if (!from) return json({ error: 'from (an IGSID) is required' }, 400);
        return json(await sandbox.postStoryMention({ from, igAccountId: ctx.body.igAccountId }), 201);
      },
    },
    {
      method: 'POST',
      pattern: /^fail$/,
      doc: { path: '/_sandbox/fail', body: '{"count":1,"code":190,"subcode":460,"httpStatus":400,"message":"…","delayMs":0,"path":"messages$"}', does: 'the next matching Graph calls fail (see the fault options)' },
      handle(ctx) {
        const { count = 1, path, forMs, pageId, ...fault } = ctx.body;
        sandbox.failNext(Number(count), {
          ...fault,
          path: typeof path === 'string' ? new RegExp(path) : undefined,
          pageId: pageId === undefined ? undefined : String(pageId),
          forMs: forMs === undefined ? undefined : Number(forMs),
        });
        return json({ ok: true });
      },
    },
    {
      method: 'POST',
      pattern: /^expire$/,
      doc: { path: '/_sandbox/expire', body: '{"pageId":"<page>"}', does: "expires the Page's token: every call with it answers 190" },
      handle(ctx) {
        const page = pageFor(sandbox, ctx.body.pageId);
        if (!page) return json({ error: 'no such Page' }, 404);
        sandbox.expireToken(page.accessToken);
        return json({ ok: true, pageId: page.id });
      },
    },
    { method: 'GET', pattern: /^attachments$/, doc: { path: '/_sandbox/attachments', does: 'reusable attachments saved by the Attachment Upload API or is_reusable sends' }, handle: () => json([...sandbox.state.attachments.values()]) },
    {
      method: 'POST',
      pattern: /^attachments\/expire$/,
      doc: { path: '/_sandbox/attachments/expire', body: '{"ids":["<attachment id>"]}', does: 'ages saved attachments past their lifetime (all without ids)' },
      handle: (ctx) => json({ expired: sandbox.state.expireAttachments(Array.isArray(ctx.body.ids) ? ctx.body.ids.map(String) : undefined) }),
    },
    {
      method: 'POST',
      pattern: /^clear$/,
      doc: { path: '/_sandbox/clear', does: 'forgets recorded calls, sends and pending faults (Pages and profiles stay)' },
      handle() {
        sandbox.clear();
        return json({ ok: true });
      },
    },
  ];
}
