import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { faults, GraphFault } from './graph-fault';
import { cdnRoutes } from './routes/cdn.routes';
import { commentRoutes } from './routes/comments.routes';
import { controlRoutes } from './routes/control.routes';
import { oauthRoutes } from './routes/oauth.routes';
import { pageRoutes } from './routes/pages.routes';
import { sendRoutes } from './routes/send.routes';
import { findRoute, SandboxContext, SandboxReply, SandboxRoute } from './sandbox-route';
import { SandboxState } from './sandbox-state';
import type {
  SandboxComment,
  SandboxCommentInput,
  SandboxFault,
  SandboxPage,
  SandboxPageInput,
  SandboxRequest,
  SandboxStartOptions,
  SentMessage,
  UnmatchedRequest,
  WebhookSignature,
} from './sandbox.types';
import { ControlRouteDoc, FAULT_OPTIONS } from './sandbox-guide';
import { inboundMessageEvent, postSigned } from './webhook-events';
import { newMessageId } from './routes/send.routes';
import { defaultFaultMessage, parseBody, VERSIONED } from './sandbox-http';
import { answerBatch, answerOf } from './sandbox-batch';

export type { SandboxComment, SandboxFault, SandboxPage, SandboxRequest, SentMessage } from './sandbox.types';

const GRAPH_ROUTES: SandboxRoute[] = [...oauthRoutes, ...sendRoutes, ...pageRoutes, ...commentRoutes];
/**
 * A stand-in for Meta's Graph API, Facebook Login dialog and CDN: a real HTTP server on
 * loopback that answers as Meta does (tokens, appsecret_proof, error envelopes), fetches
 * attachment URLs, records every call, and posts signed webhooks back to the service.
 */
export class MetaSandbox {
  readonly state: SandboxState;
  readonly verifyToken: string;
  url = '';
  webhookTarget?: string;
  /** Who `/_sandbox/inbound` writes as when no `from` is given (the standalone demo). */
  defaultSenders: Partial<Record<'messenger' | 'instagram', string>> = {};
  private readonly server: Server;
  private readonly control: SandboxRoute[];

  private constructor(options: SandboxStartOptions) {
    this.state = new SandboxState(options.appId ?? '1234567890', options.appSecret ?? 'sandbox-app-secret');
    this.verifyToken = options.verifyToken ?? 'sandbox-verify-token';
    this.control = controlRoutes(this);
    this.state.announce = (delivery) => (this.webhookTarget ? this.postWebhook(delivery) : Promise.resolve());
    this.server = createServer((req, res) => void this.serve(req, res));
  }

  static async start(options: SandboxStartOptions = {}): Promise<MetaSandbox> {
    const sandbox = new MetaSandbox(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      sandbox.server.once('error', reject);
      sandbox.server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = sandbox.server.address() as AddressInfo;
    sandbox.url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    return sandbox;
  }

  get appId(): string {
    return this.state.appId;
  }

  get appSecret(): string {
    return this.state.appSecret;
  }

  /** Every Graph call, in arrival order (the live array). */
  get requests(): SandboxRequest[] {
    return this.state.requests;
  }

  /** Calls no route answered; tests assert it stays empty. */
  get unmatched(): UnmatchedRequest[] {
    return this.state.unmatched;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addPage(page: SandboxPageInput): SandboxPage {
    return this.state.addPage(page);
  }

  addProfile(userId: string, fields: Record<string, unknown>): void {
    this.state.profiles.set(userId, { ...fields });
  }

  /** An OAuth code granting these Pages, as the Login dialog would return it. */
  authorize(pageIds: string[]): string {
    return this.state.issueCode(pageIds);
  }

  expireToken(accessToken: string): void {
    this.state.expireToken(accessToken);
  }

  /** The next `count` matching Graph calls (or, with `forMs`, all of them for that long) fail or are slow as described; faults queue in order. */
  failNext(count: number, fault: SandboxFault): void {
    this.state.addFaults(count, fault);
  }

  sent(): SentMessage[] {
    return [...this.state.sentMessages];
  }

  /** Ages saved reusable attachments (the given ids, or all) past Meta's ~90-day lifetime. */
  expireAttachments(ids?: string[]): number {
    return this.state.expireAttachments(ids);
  }

  /** The Page's current webhook subscription fields, or undefined when not subscribed. */
  subscribedFields(pageId: string): string[] | undefined {
    return this.state.subscriptions.get(pageId);
  }

  clear(): void {
    this.state.clearLogs();
  }

  /** Puts bytes on the sandbox CDN; the URL looks like a signed lookaside URL. */
  cdnUrl(body: Buffer, contentType: string): string {
    const id = this.state.putCdn(body, contentType);
    return `${this.url}/cdn/${id}?_nc_cat=1&oh=00_sandbox&oe=${Math.floor(Date.now() / 1000 + 3600).toString(16)}`;
  }

  postWebhook(body: object, options: { target?: string; signature?: WebhookSignature } = {}): Promise<{ status: number; body: string }> {
    const target = options.target ?? this.webhookTarget;
    if (!target) throw new Error('postWebhook needs a target (set sandbox.webhookTarget)');
    return postSigned(target, body, this.appSecret, options.signature);
  }

  /**
   * Someone comments on a Page post (`facebook`) or Instagram media (`instagram`): the comment is
   * kept for replies and hiding, and its signed webhook (`feed` / `comments`) is posted.
   */
  async postComment(input: SandboxCommentInput): Promise<{ comment: SandboxComment; delivered: { status: number; body: string } }> {
    const { comment, delivery } = this.state.commentBook.add(input);
    return { comment, delivered: await this.postWebhook(delivery) };
  }

  /** The commenter edits or removes it, or the Page hides it in Meta's apps (Facebook sends each as a `feed` verb). */
  async changeComment(id: string, verb: 'edited' | 'remove' | 'hide' | 'unhide', text?: string): Promise<{ status: number; body: string } | null> {
    const delivery = this.state.commentBook.change(id, verb, text);
    return delivery ? this.postWebhook(delivery) : null;
  }

  comment(id: string): SandboxComment | undefined {
    return this.state.comments.get(id);
  }

  /**
   * Someone mentions the Instagram account in their story: an Instagram message whose
   * `story_mention` attachment links to the story's media on Meta's CDN.
   */
  async postStoryMention(input: { igAccountId?: string; from: string; media?: Buffer; expiresAt?: number; mid?: string }): Promise<{ mid: string; url: string; delivered: { status: number; body: string } }> {
    const account = input.igAccountId ?? [...this.state.pages.values()].find((p) => p.instagram)?.instagram?.id;
    if (!account) throw new Error('no Page with an Instagram account');
    const id = this.state.putCdn(input.media ?? Buffer.from('story media'), 'image/jpeg');
    const expires = Math.floor((input.expiresAt ?? Date.now() + 24 * 3600 * 1000) / 1000).toString(16);
    const url = `${this.url}/cdn/${id}?stp=dst-jpg&_nc_cat=1&oh=00_sandbox&oe=${expires}`;
    const mid = input.mid ?? newMessageId(true);
    const event = inboundMessageEvent({ channel: 'instagram', recipientId: account, from: input.from, mid, attachments: [{ type: 'story_mention', payload: { url } }] });
    return { mid, url, delivered: await this.postWebhook(event) };
  }

  describe(): Record<string, unknown> {
    return {
      url: this.url,
      appId: this.appId,
      verifyToken: this.verifyToken,
      webhookTarget: this.webhookTarget ?? null,
      pages: [...this.state.pages.values()].map(({ id, name, instagram }) => ({ id, name, instagram: instagram ?? null })),
      profiles: [...this.state.profiles.entries()].map(([id, fields]) => ({ id, ...fields })),
      controlRoutes: this.controlRouteDocs(),
      faultOptions: FAULT_OPTIONS,
    };
  }

  /** The control routes as people read them, from their own definitions. */
  controlRouteDocs(): ControlRouteDoc[] {
    return this.control.flatMap(({ method, doc }) => (doc ? [{ method: method as ControlRouteDoc['method'], ...doc }] : []));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const reply = await answerOf(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const query = Object.fromEntries(url.searchParams);
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const body = parseBody(rawBody, req.headers['content-type']);
      const ctx: SandboxContext = { method: req.method ?? 'GET', path: url.pathname, query, body, params: { ...query, ...body }, headers: req.headers, state: this.state, rawBody };
      return this.dispatch(ctx);
    });
    this.write(res, reply);
  }

  private async dispatch(ctx: SandboxContext, batched = false): Promise<SandboxReply> {
    if (ctx.path === '/_sandbox' || ctx.path.startsWith('/_sandbox/')) return this.route(this.control, ctx, ctx.path.replace(/^\/_sandbox\/?/, ''));
    if (ctx.path.startsWith('/cdn/')) return this.route(cdnRoutes, ctx, ctx.path.slice(1));
    const graphPath = ctx.path.match(VERSIONED)?.[2] ?? ctx.path.replace(/^\/+/, '');
    const record: SandboxRequest = {
      method: ctx.method,
      path: ctx.path,
      query: ctx.query,
      body: ctx.body,
      at: Date.now(),
      pageId: this.state.pageIdOfToken(ctx.params.access_token),
    };
    if (batched) record.batched = true;
    this.state.requests.push(record);
    try {
      if (graphPath !== 'dialog/oauth') await this.injectFault(ctx.path, record.pageId);
      const batch = !batched && graphPath === '' && ctx.method === 'POST' && ctx.params.batch !== undefined;
      const reply = batch ? await answerBatch(ctx, (call) => this.dispatch(call, true)) : await this.route(GRAPH_ROUTES, ctx, graphPath);
      record.status = reply.status ?? 200;
      return reply;
    } catch (error) {
      record.status = error instanceof GraphFault ? error.httpStatus : 500;
      throw error;
    }
  }

  private async injectFault(path: string, pageId: string | undefined): Promise<void> {
    const fault = this.state.takeFault(path, pageId);
    if (!fault) return;
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.code === undefined && fault.httpStatus === undefined) return;
    if (fault.code === undefined) throw faults.serviceError(fault.httpStatus!);
    throw new GraphFault(fault.message ?? defaultFaultMessage(fault.code), fault.code, fault.subcode, fault.httpStatus ?? 400);
  }

  private async route(routes: SandboxRoute[], ctx: SandboxContext, path: string): Promise<SandboxReply> {
    const found = findRoute(routes, ctx.method, path);
    if (found) return found.route.handle(ctx, found.match);
    this.state.unmatched.push({ method: ctx.method, path: ctx.path, at: Date.now() });
    throw faults.unknownPath(path);
  }

  private write(res: ServerResponse, reply: SandboxReply): void {
    const headers = { ...reply.headers };
    let payload: Buffer | string = reply.body ?? '';
    if (reply.json !== undefined) {
      headers['content-type'] = 'application/json; charset=UTF-8';
      payload = JSON.stringify(reply.json);
    }
    res.writeHead(reply.status ?? 200, headers);
    res.end(payload);
  }
}
