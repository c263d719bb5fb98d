import { faults, GraphFault } from '../graph-fault';
import { json, SandboxContext, SandboxRoute, topLevelFields } from '../sandbox-route';
import type { TokenOwner } from '../sandbox-state';
import type { SandboxPage } from '../sandbox.types';

/** The webhook fields a Page subscription may name (Messenger Platform reference). */
export const SUBSCRIBABLE_FIELDS = new Set([
  'messages',
  'message_echoes',
  'message_deliveries',
  'message_reads',
  'message_reactions',
  'messaging_postbacks',
  'messaging_referrals',
  'message_edits',
  'messaging_optins',
  'messaging_optouts',
  'messaging_handovers',
  'messaging_policy_enforcement',
  'messaging_account_linking',
  'messaging_game_plays',
  'standby',
  'feed',
]);

function authenticate(ctx: SandboxContext): TokenOwner {
  return ctx.state.authenticate(ctx.params, ctx.headers.authorization);
}

/** A Page token of exactly this Page, as Page-level edges require. */
export function requirePageToken(ctx: SandboxContext, pageId: string): SandboxPage {
  const owner = authenticate(ctx);
  if (owner.kind !== 'page') throw faults.needPageToken();
  if (owner.page.id !== pageId) throw new GraphFault('(#200) The Page access token does not belong to this Page.', 200, undefined, 403);
  return owner.page;
}

function pick(node: Record<string, unknown>, fields: string[], nodeType: string): Record<string, unknown> {
  const answer: Record<string, unknown> = { id: node.id };
  for (const field of fields) {
    if (!(field in node)) {
      if (field === 'instagram_business_account') continue; // Meta omits it when no account is linked
      throw faults.invalidParameter(`Tried accessing nonexisting field (${field}) on node type (${nodeType})`);
    }
    if (node[field] !== undefined) answer[field] = node[field];
  }
  return answer;
}

function pageNode(page: SandboxPage, owner: TokenOwner): Record<string, unknown> {
  return {
    id: page.id,
    name: page.name,
    category: page.category,
    instagram_business_account: page.instagram ? { id: page.instagram.id, username: page.instagram.username } : undefined,
    access_token: owner.kind === 'user' ? page.accessToken : undefined,
  };
}

function readNode(ctx: SandboxContext, id: string): Record<string, unknown> {
  const fields = topLevelFields(ctx.params.fields);
  const owner = authenticate(ctx);
  const page = ctx.state.pages.get(id);
  if (page) {
    const allowed = owner.kind === 'user' ? owner.pageIds.includes(id) : owner.page.id === id;
    if (!allowed) throw faults.unknownObject(id);
    return pick(pageNode(page, owner), fields.length ? fields : ['name'], 'Page');
  }
  const linked = ctx.state.pageByInstagramId(id);
  if (linked?.instagram && owner.kind === 'page' && owner.page.id === linked.id) {
    const node = { id, username: linked.instagram.username, name: linked.instagram.username };
    return pick(node, fields.length ? fields : ['username'], 'IGUser');
  }
  const profile = ctx.state.profiles.get(id);
  if (profile && owner.kind === 'page') {
    const wanted = fields.length ? fields : Object.keys(profile);
    const answer: Record<string, unknown> = { id };
    for (const field of wanted) if (field in profile) answer[field] = profile[field];
    return answer;
  }
  throw faults.unknownObject(id);
}

function subscribedFields(ctx: SandboxContext): string[] {
  const raw = ctx.params.subscribed_fields;
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',').map((f) => f.trim()).filter(Boolean) : [];
  if (list.length === 0) throw faults.invalidParameter('The parameter subscribed_fields is required');
  list.forEach((field, index) => {
    if (!SUBSCRIBABLE_FIELDS.has(field)) {
      throw faults.invalidParameter(`Param subscribed_fields[${index}] must be one of {${[...SUBSCRIBABLE_FIELDS].join(', ')}} - got "${field}".`);
    }
  });
  return list;
}

/** `/me/accounts`, Page/Instagram/profile nodes and `subscribed_apps`. */
export const pageRoutes: SandboxRoute[] = [
  {
    method: 'GET',
    pattern: /^me\/accounts$/,
    handle(ctx) {
      const owner = authenticate(ctx);
      if (owner.kind !== 'user') throw new GraphFault('(#100) Tried accessing nonexisting field (accounts) on node type (Page)', 100);
      const data = owner.pageIds
        .map((id) => ctx.state.pages.get(id))
        .filter((page): page is SandboxPage => page !== undefined)
        .map((page) => ({ access_token: ctx.state.currentPageToken(page), category: page.category, category_list: [], name: page.name, id: page.id, tasks: ['ADVERTISE', 'ANALYZE', 'CREATE_CONTENT', 'MESSAGING', 'MODERATE', 'MANAGE'] }));
      return json({ data, paging: data.length ? { cursors: { before: 'QVFIUj', after: 'QVFIUk' } } : {} });
    },
  },
  {
    method: 'GET',
    pattern: /^me$/,
    handle(ctx) {
      const owner = authenticate(ctx);
      if (owner.kind === 'page') return json({ id: owner.page.id, name: owner.page.name });
      return json({ id: '10000000000001', name: 'Sandbox User' });
    },
  },
  {
    method: ['GET', 'POST', 'DELETE'],
    pattern: /^([^/]+)\/subscribed_apps$/,
    handle(ctx, match) {
      const page = requirePageToken(ctx, match[1]);
      if (ctx.method === 'GET') {
        const fields = ctx.state.subscriptions.get(page.id);
        return json({ data: fields ? [{ category: 'Business', link: 'https://sandbox.invalid/app', name: 'Sandbox App', id: ctx.state.appId, subscribed_fields: fields }] : [] });
      }
      if (ctx.method === 'POST') ctx.state.subscriptions.set(page.id, subscribedFields(ctx));
      else ctx.state.subscriptions.delete(page.id);
      return json({ success: true });
    },
  },
  {
    method: 'GET',
    pattern: /^([^/]+)$/,
    handle: (ctx, match) => json(readNode(ctx, match[1])),
  },
];
