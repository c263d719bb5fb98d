import { Injectable, Logger } from '@nestjs/common';
import { DomainError, DomainErrorCode, ErrorMessages } from '../../../common/domain-error';
import { CoreConfService } from '../../../core-conf/core-conf.service';
import { MetaApiError } from './graph-error';
import { MetaConnectionService } from './meta-connection.service';
import { MetaTokenService } from './meta-token.service';
import { OAuthOutcome } from './oauth-callback-outcome';
import { OAuthPendingPagesService } from './oauth-pending-pages.service';
import { OAuthStateService } from './oauth-state.service';

export interface OAuthCallbackInput {
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
  /** The nonce from the browser's OAuth cookie, if it sent one. */
  browserNonce?: string;
}

export const BROWSER_MISMATCH =
  'This Facebook Login was not started in this browser, so nothing was connected. Start the connection again from Settings > Integrations in the browser you use for the inbox.';

/**
 * Meta's redirect after Facebook Login. The state decides the organization (and a bad one
 * changes nothing); then one granted Page is connected at once, several are held for a choice.
 */
@Injectable()
export class OAuthCallbackService {
  private readonly logger = new Logger(OAuthCallbackService.name);

  constructor(
    private readonly states: OAuthStateService,
    private readonly tokens: MetaTokenService,
    private readonly pending: OAuthPendingPagesService,
    private readonly connection: MetaConnectionService,
    private readonly coreConf: CoreConfService,
  ) {}

  async complete(input: OAuthCallbackInput): Promise<OAuthOutcome> {
    const { organizationId, sameBrowser } = await this.states.consume(input.state, input.browserNonce);
    // A state arriving without its cookie is someone else's login link (login CSRF): whoever
    // consented must not hand their Page to the organization that made the link.
    if (!sameBrowser) {
      this.logger.warn(`refused a Facebook Login callback for organization ${organizationId}: not the browser that started it`);
      return { result: 'error', reason: 'browser_mismatch', message: BROWSER_MISMATCH };
    }
    if (input.error) {
      return { result: 'error', reason: 'access_denied', message: `Facebook Login was cancelled or refused${input.errorDescription ? `: ${input.errorDescription}` : '.'}` };
    }
    if (!input.code) return { result: 'error', reason: 'missing_code', message: 'Facebook did not send an authorization code. Try connecting again.' };
    const app = await this.coreConf.metaApp();
    if (!app) return { result: 'error', reason: 'app_not_configured', message: ErrorMessages.metaAppNotConfigured };
    try {
      const pages = await this.tokens.grantedPages(app, input.code, this.connection.redirectUri);
      if (pages.length === 0) {
        return { result: 'error', reason: 'no_pages', message: 'No Facebook Page was shared with the app. Connect again and select at least one Page.' };
      }
      if (pages.length > 1) {
        await this.pending.hold(organizationId, pages);
        return { result: 'select_page', pages: pages.length };
      }
      const status = await this.connection.connect(organizationId, pages[0], app);
      return { result: 'connected', pageName: status.pageName };
    } catch (error) {
      if (error instanceof DomainError && error.code === DomainErrorCode.Conflict) return { result: 'error', reason: 'page_in_use', message: error.message };
      if (error instanceof MetaApiError) {
        this.logger.warn(`Facebook Login for organization ${organizationId} failed at Meta: ${error.code ?? error.httpStatus} ${error.message}`);
        return { result: 'error', reason: 'meta_error', message: `Meta refused the connection (Meta says: ${error.message}). Try connecting again.` };
      }
      throw error;
    }
  }
}
