import { createHmac, randomBytes } from 'node:crypto';
import { faults } from './graph-fault';
import { CommentDelivery, SandboxComments } from './sandbox-comments';
import { SandboxComment, SandboxFault, SandboxPage, SandboxPageInput, SandboxRequest, SentMessage, UnmatchedRequest } from './sandbox.types';

interface OAuthCode {
  pageIds: string[];
  /** Bound when the code came from the dialog: the exchange must name the same URI. */
  redirectUri?: string;
  used: boolean;
}

interface UserToken {
  pageIds: string[];
  longLived: boolean;
}

/** Who a token belongs to, once checked. */
export type TokenOwner = { kind: 'user'; token: string; pageIds: string[] } | { kind: 'page'; token: string; page: SandboxPage };

/** A file Meta saved for reuse: usable by the Page (and platform) that saved it until it expires. */
export interface ReusableAttachment {
  id: string;
  pageId: string;
  platform: 'messenger' | 'instagram';
  savedAt: number;
  contentType: string | null;
  size: number;
}

/** Meta keeps reusable attachment ids about 90 days. */
export const ATTACHMENT_LIFETIME_MS = 90 * 24 * 3600 * 1000;

interface PendingFault extends SandboxFault {
  remaining: number;
  /** For a fault given `forMs`: when it stops. */
  until?: number;
}

const random = (bytes = 24) => randomBytes(bytes).toString('base64url');

/** Everything the sandbox knows: Pages, tokens, codes, profiles, CDN files and its logs. */
export class SandboxState {
  readonly pages = new Map<string, SandboxPage>();
  readonly profiles = new Map<string, Record<string, unknown>>();
  readonly subscriptions = new Map<string, string[]>();
  readonly cdn = new Map<string, { body: Buffer; contentType: string }>();
  readonly comments = new Map<string, SandboxComment>();
  readonly commentBook = new SandboxComments(this);
  /** Posts a webhook delivery back to the service (set while it has a target), as Meta does after a change. */
  announce: ((delivery: CommentDelivery) => Promise<unknown>) | null = null;
  readonly requests: SandboxRequest[] = [];
  readonly sentMessages: SentMessage[] = [];
  readonly unmatched: UnmatchedRequest[] = [];
  /** Reusable attachments by id; they outlive `clearLogs`, as Meta's do. */
  readonly attachments = new Map<string, ReusableAttachment>();
  /** Integrator webhooks the service sent to `/_sandbox/integrator-webhooks`, as received. */
  readonly integratorWebhooks: { id: string; timestamp: string; signature: string; duplicate: boolean; receivedAt: string; rawBody: string; body: unknown }[] = [];
  private readonly codes = new Map<string, OAuthCode>();
  private readonly userTokens = new Map<string, UserToken>();
  private readonly expired = new Set<string>();
  private faultQueue: PendingFault[] = [];

  constructor(
    readonly appId: string,
    readonly appSecret: string,
  ) {}

  addPage(input: SandboxPageInput): SandboxPage {
    const page: SandboxPage = { ...input, accessToken: `EAAP${random()}`, category: 'Local business' };
    this.pages.set(page.id, page);
    return page;
  }

  pageByInstagramId(instagramId: string): SandboxPage | undefined {
    return [...this.pages.values()].find((page) => page.instagram?.id === instagramId);
  }

  /** For the request log: the Page a token belongs to, if it is a Page token. */
  pageIdOfToken(token: unknown): string | undefined {
    if (typeof token !== 'string') return undefined;
    return [...this.pages.values()].find((page) => page.accessToken === token)?.id;
  }

  issueCode(pageIds: string[], redirectUri?: string): string {
    const code = `AQ${random(48)}`;
    this.codes.set(code, { pageIds: [...pageIds], redirectUri, used: false });
    return code;
  }

  /** Exchanges a code for a short-lived user token, single use, as Meta does. */
  redeemCode(code: string, redirectUri: string | undefined): string {
    const grant = this.codes.get(code);
    if (!grant) throw faults.invalidParameter('Invalid verification code format.');
    if (grant.used) throw faults.invalidParameter('This authorization code has been used.', 36009);
    if (!redirectUri || (grant.redirectUri !== undefined && grant.redirectUri !== redirectUri)) {
      throw faults.invalidParameter(
        'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
        36008,
      );
    }
    grant.used = true;
    return this.issueUserToken(grant.pageIds, false);
  }

  issueUserToken(pageIds: string[], longLived: boolean): string {
    const token = `EAAU${random()}`;
    this.userTokens.set(token, { pageIds, longLived });
    return token;
  }

  /** `fb_exchange_token`: the short-lived user token's grant, carried to the long-lived one. */
  authenticateUserTokenForExchange(token: string): string[] {
    if (!token) throw faults.invalidParameter('Missing fb_exchange_token parameter');
    if (this.expired.has(token)) throw faults.expiredToken();
    const user = this.userTokens.get(token);
    if (!user) throw faults.badToken();
    return user.pageIds;
  }

  expireToken(token: string): void {
    this.expired.add(token);
  }

  /** A new login hands out a fresh Page token when the old one died (as after a password change). */
  currentPageToken(page: SandboxPage): string {
    if (this.expired.has(page.accessToken)) page.accessToken = `EAAP${random()}`;
    return page.accessToken;
  }

  /**
   * The owner of the call's token, refusing unknown, expired or unproven tokens. The app
   * runs with "Require App Secret" on, so every token call needs a matching appsecret_proof.
   */
  authenticate(params: Record<string, unknown>, authorization?: string): TokenOwner {
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const token = typeof params.access_token === 'string' ? params.access_token : bearer;
    if (!token) throw faults.noToken();
    if (this.expired.has(token)) throw faults.expiredToken();
    const user = this.userTokens.get(token);
    const page = user ? undefined : [...this.pages.values()].find((p) => p.accessToken === token);
    if (!user && !page) throw faults.badToken();
    const proof = params.appsecret_proof;
    if (typeof proof !== 'string' || proof === '') throw faults.missingProof();
    if (proof !== createHmac('sha256', this.appSecret).update(token).digest('hex')) throw faults.invalidProof();
    return user ? { kind: 'user', token, pageIds: user.pageIds } : { kind: 'page', token, page: page! };
  }

  addFaults(count: number, fault: SandboxFault): void {
    if (fault.forMs !== undefined) this.faultQueue.push({ ...fault, remaining: Infinity, until: Date.now() + fault.forMs });
    else if (count > 0) this.faultQueue.push({ ...fault, remaining: count });
  }

  /** The next fault for this call (path, and the Page whose token it carries), consumed in the order they were added. */
  takeFault(path: string, pageId?: string): SandboxFault | undefined {
    const now = Date.now();
    this.faultQueue = this.faultQueue.filter((f) => f.until === undefined || f.until > now);
    const fault = this.faultQueue.find((f) => (!f.path || f.path.test(path)) && (!f.pageId || f.pageId === pageId));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faultQueue = this.faultQueue.filter((f) => f !== fault);
    return fault;
  }

  saveAttachment(pageId: string, platform: ReusableAttachment['platform'], fetched: { contentType: string | null; size: number }): ReusableAttachment {
    const attachment: ReusableAttachment = { id: String(10 ** 15 + Math.floor(Math.random() * 9 * 10 ** 15)), pageId, platform, savedAt: Date.now(), ...fetched };
    this.attachments.set(attachment.id, attachment);
    return attachment;
  }

  /** A saved attachment this Page may send on this platform, or undefined (unknown, another Page's, or expired). */
  usableAttachment(id: string, pageId: string, platform: ReusableAttachment['platform'], now = Date.now()): ReusableAttachment | undefined {
    const attachment = this.attachments.get(id);
    if (!attachment || attachment.pageId !== pageId || attachment.platform !== platform) return undefined;
    return now - attachment.savedAt < ATTACHMENT_LIFETIME_MS ? attachment : undefined;
  }

  /** Ages the given saved attachments (or all) past their lifetime. */
  expireAttachments(ids?: string[]): number {
    let count = 0;
    for (const attachment of this.attachments.values()) {
      if (ids && !ids.includes(attachment.id)) continue;
      attachment.savedAt = Date.now() - ATTACHMENT_LIFETIME_MS - 1;
      count += 1;
    }
    return count;
  }

  putCdn(body: Buffer, contentType: string): string {
    const id = random(12);
    this.cdn.set(id, { body, contentType });
    return id;
  }

  /** Forgets the logs and pending faults; Pages, tokens and profiles stay. */
  clearLogs(): void {
    this.requests.length = 0;
    this.sentMessages.length = 0;
    this.unmatched.length = 0;
    this.integratorWebhooks.length = 0;
    this.faultQueue = [];
  }
}
