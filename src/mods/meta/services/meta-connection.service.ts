import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { DomainError, DomainErrorCode } from '../../../common/domain-error';
import { AppConfig } from '../../../config/app-config';
import { CoreConfService, MetaAppCredentials } from '../../../core-conf/core-conf.service';
import type { ConnectionStatusView } from '../../../realtime/realtime.events';
import { EncryptionService } from '../../../security/encryption.service';
import { OrganizationMetaSettings } from '../entities/organization-meta-settings.entity';
import type { GrantedPage, GraphSuccess } from '../types/graph-api.types';
import { GraphApiClient } from './graph-api.client';
import { MetaApiError } from './graph-error';
import { MetaSettingsService } from './meta-settings.service';
import { OAuthPendingPagesService, PendingPageView } from './oauth-pending-pages.service';
import { OAuthStateService } from './oauth-state.service';

/** Facebook Login permissions the inbox needs (Messenger, Instagram DM, Page webhooks, comments). */
export const OAUTH_SCOPES = [
  'pages_show_list',
  'pages_messaging',
  'pages_manage_metadata',
  'pages_read_engagement',
  'business_management',
  'instagram_basic',
  'instagram_manage_messages',
  // Comments: reading Page post comments, replying to and hiding them, and the same on Instagram.
  'pages_read_user_content',
  'pages_manage_engagement',
  'instagram_manage_comments',
];

/** The Page webhook fields the app subscribes to. */
export const SUBSCRIBED_FIELDS = [
  'messages',
  'message_echoes',
  'message_deliveries',
  'message_reads',
  'message_reactions',
  'messaging_postbacks',
  'messaging_referrals',
  'message_edits',
  // Comments on the Page's posts; Instagram comments come with the Instagram subscription.
  'feed',
];

export const OAUTH_CALLBACK_PATH = '/api/meta/oauth/callback';
export const OAUTH_START_PATH = '/api/meta/oauth/start';

export const pageInUse = () =>
  new DomainError(DomainErrorCode.Conflict, 'This Facebook Page is already connected to another organization. Disconnect it there first.');
export const instagramInUse = () =>
  new DomainError(DomainErrorCode.Conflict, 'The Instagram account linked to this Page is already connected to another organization. Disconnect it there first.');

/**
 * An organization's link to one Facebook Page: the Login URL, connecting a granted Page
 * (subscribe the app, then store the encrypted token), status, and disconnecting.
 */
@Injectable()
export class MetaConnectionService {
  private readonly logger = new Logger(MetaConnectionService.name);

  constructor(
    @InjectRepository(OrganizationMetaSettings) private readonly rows: Repository<OrganizationMetaSettings>,
    private readonly settings: MetaSettingsService,
    private readonly states: OAuthStateService,
    private readonly pending: OAuthPendingPagesService,
    private readonly coreConf: CoreConfService,
    private readonly graph: GraphApiClient,
    private readonly encryption: EncryptionService,
    private readonly config: AppConfig,
  ) {}

  get redirectUri(): string {
    return `${this.config.publicUrl}${OAUTH_CALLBACK_PATH}`;
  }

  /**
   * The Login dialog URL and the nonce for the caller's browser cookie; with `startLink`, a
   * `PUBLIC_URL/api/meta/oauth/start` link instead, which binds whichever browser opens it.
   */
  async oauthUrl(organizationId: string, startLink: boolean): Promise<{ url: string; browserNonce: string | null }> {
    const app = await this.coreConf.requireMetaApp();
    const { state, browserNonce } = await this.states.issue(organizationId, !startLink);
    if (startLink) {
      const url = new URL(`${this.config.publicUrl}${OAUTH_START_PATH}`);
      url.searchParams.set('state', state);
      return { url: url.toString(), browserNonce };
    }
    return { url: this.dialogUrl(app, state), browserNonce };
  }

  /** A start link opened: binds its state to this browser and gives the dialog URL, or null when the link is spent. */
  async startInBrowser(state: string | undefined): Promise<{ url: string; browserNonce: string } | null> {
    const app = await this.coreConf.requireMetaApp();
    const browserNonce = await this.states.bindBrowser(state);
    return browserNonce ? { url: this.dialogUrl(app, state!), browserNonce } : null;
  }

  private dialogUrl(app: MetaAppCredentials, state: string): string {
    const url = new URL(`${this.config.metaOauthDialogUrl}/${this.config.metaGraphVersion}/dialog/oauth`);
    url.searchParams.set('client_id', app.appId);
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('state', state);
    url.searchParams.set('scope', OAUTH_SCOPES.join(','));
    url.searchParams.set('response_type', 'code');
    return url.toString();
  }

  pendingPages(organizationId: string): Promise<PendingPageView[]> {
    return this.pending.list(organizationId);
  }

  async choosePage(organizationId: string, pageId: string): Promise<ConnectionStatusView> {
    const app = await this.coreConf.requireMetaApp();
    const page = await this.pending.get(organizationId, pageId);
    try {
      return await this.connect(organizationId, page, app);
    } catch (error) {
      if (error instanceof MetaApiError) {
        throw new DomainError(DomainErrorCode.UpstreamFailed, `Meta refused to subscribe the app to the Page (Meta says: ${error.message}). Try connecting again.`);
      }
      throw error;
    }
  }

  status(organizationId: string): Promise<ConnectionStatusView> {
    return this.settings.statusView(organizationId);
  }

  /**
   * Subscribes the app to the Page, then stores it as the organization's connection —
   * replacing any earlier one in place and clearing `expired`. Throws `MetaApiError` when
   * the subscription fails and a Conflict when another organization holds the Page.
   */
  async connect(organizationId: string, page: GrantedPage, app: MetaAppCredentials): Promise<ConnectionStatusView> {
    await this.refuseIfHeldElsewhere(organizationId, page);
    const previous = await this.settings.forOrganization(organizationId);
    await this.subscribe(page.id, page.accessToken, app);
    this.settings.forget(organizationId);
    try {
      await this.rows.manager.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO organization_meta_settings
             (organization_id, page_id, page_name, page_access_token, instagram_account_id, instagram_username, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'active')
           ON CONFLICT (organization_id) DO UPDATE SET
             page_id = EXCLUDED.page_id, page_name = EXCLUDED.page_name, page_access_token = EXCLUDED.page_access_token,
             instagram_account_id = EXCLUDED.instagram_account_id, instagram_username = EXCLUDED.instagram_username,
             status = 'active', updated_at = now()`,
          [organizationId, page.id, page.name, this.encryption.encrypt(page.accessToken), page.instagram?.id ?? null, page.instagram?.username ?? null],
        );
        await this.settings.recordConnectionUpdated(manager, organizationId);
      });
    } catch (error) {
      // Another organization connected the same Page (or Instagram account) a moment ago.
      if (error instanceof QueryFailedError && (error.driverError as { code?: string })?.code === '23505') throw pageInUse();
      throw error;
    } finally {
      this.settings.forget(organizationId);
    }
    await this.pending.clear(organizationId);
    if (previous && previous.pageId !== page.id) await this.unsubscribeQuietly(this.settings.decrypt(previous).pageAccessToken, previous.pageId, app);
    this.logger.log({
      msg: `Meta connected: Page ${page.id}${page.instagram ? ` and Instagram account ${page.instagram.id}` : ''}`,
      organizationId,
      pageId: page.id,
      pageName: page.name,
      instagramAccountId: page.instagram?.id ?? null,
      instagramUsername: page.instagram?.username ?? null,
      replacedPageId: previous && previous.pageId !== page.id ? previous.pageId : null,
    });
    return this.settings.statusView(organizationId);
  }

  /** Unsubscribes (a Graph failure does not block it) and forgets the token; history stays. */
  async disconnect(organizationId: string): Promise<ConnectionStatusView> {
    await this.pending.clear(organizationId);
    const row = await this.settings.forOrganization(organizationId);
    if (!row) return this.settings.statusView(organizationId);
    const app = await this.coreConf.metaApp();
    if (app) await this.unsubscribeQuietly(this.settings.decrypt(row).pageAccessToken, row.pageId, app);
    this.settings.forget(organizationId);
    await this.rows.manager
      .transaction(async (manager) => {
        await manager.delete(OrganizationMetaSettings, { organizationId, pageId: row.pageId });
        await this.settings.recordConnectionUpdated(manager, organizationId);
      })
      .finally(() => this.settings.forget(organizationId));
    this.logger.log({
      msg: `Meta disconnected: Page ${row.pageId}${row.instagramAccountId ? ` and Instagram account ${row.instagramAccountId}` : ''}`,
      organizationId,
      pageId: row.pageId,
      instagramAccountId: row.instagramAccountId,
    });
    return this.settings.statusView(organizationId);
  }

  private async refuseIfHeldElsewhere(organizationId: string, page: GrantedPage): Promise<void> {
    const pageOwner = await this.settings.byPageId(page.id);
    if (pageOwner && pageOwner.organizationId !== organizationId) throw pageInUse();
    if (!page.instagram) return;
    const instagramOwner = await this.settings.byInstagramAccountId(page.instagram.id);
    if (instagramOwner && instagramOwner.organizationId !== organizationId) throw instagramInUse();
  }

  private async subscribe(pageId: string, pageToken: string, app: MetaAppCredentials): Promise<void> {
    await this.graph.request<GraphSuccess>({
      method: 'POST',
      path: `${encodeURIComponent(pageId)}/subscribed_apps`,
      accessToken: pageToken,
      appSecret: app.appSecret,
      params: { subscribed_fields: SUBSCRIBED_FIELDS.join(',') },
    });
  }

  private async unsubscribeQuietly(pageToken: string, pageId: string, app: MetaAppCredentials): Promise<void> {
    try {
      await this.graph.request<GraphSuccess>({ method: 'DELETE', path: `${encodeURIComponent(pageId)}/subscribed_apps`, accessToken: pageToken, appSecret: app.appSecret });
    } catch (error) {
      // The token may be dead or Meta down; the app stays subscribed but nothing routes to it.
      const reason = error instanceof MetaApiError ? `${error.code ?? error.httpStatus}: ${error.message}` : String(error);
      this.logger.warn(`Could not unsubscribe the app from Page ${pageId} (${reason}); disconnecting anyway`);
    }
  }
}
