import { Injectable } from '@nestjs/common';
import type { MetaAppCredentials } from '../../../core-conf/core-conf.service';
import {
  GraphAccessTokenResponse,
  GraphAccount,
  GraphPaged,
  GraphPageInstagram,
  GrantedPage,
} from '../types/graph-api.types';
import { GraphApiClient } from './graph-api.client';

/** How many Pages to ask for per `/me/accounts` call, and the most pages of them we follow. */
const ACCOUNTS_PAGE_SIZE = 100;
const MAX_ACCOUNT_PAGES = 20;

/**
 * Turns a Facebook Login code into the Pages it granted: code → user token → long-lived
 * user token → `/me/accounts` (Page tokens, which then do not expire) → each Page's
 * Instagram Business account. Tokens stay in memory; callers encrypt what they keep.
 */
@Injectable()
export class MetaTokenService {
  constructor(private readonly graph: GraphApiClient) {}

  async grantedPages(app: MetaAppCredentials, code: string, redirectUri: string): Promise<GrantedPage[]> {
    const userToken = await this.exchangeCode(app, code, redirectUri);
    const longLived = await this.longLived(app, userToken);
    const accounts = await this.accounts(app, longLived);
    return Promise.all(accounts.map((account) => this.withInstagram(app, account)));
  }

  private async exchangeCode(app: MetaAppCredentials, code: string, redirectUri: string): Promise<string> {
    const answer = await this.graph.request<GraphAccessTokenResponse>({
      method: 'GET',
      path: 'oauth/access_token',
      params: { client_id: app.appId, client_secret: app.appSecret, redirect_uri: redirectUri, code },
    });
    return answer.access_token;
  }

  private async longLived(app: MetaAppCredentials, userToken: string): Promise<string> {
    const answer = await this.graph.request<GraphAccessTokenResponse>({
      method: 'GET',
      path: 'oauth/access_token',
      params: { grant_type: 'fb_exchange_token', client_id: app.appId, client_secret: app.appSecret, fb_exchange_token: userToken },
    });
    return answer.access_token;
  }

  private async accounts(app: MetaAppCredentials, userToken: string): Promise<GraphAccount[]> {
    const accounts: GraphAccount[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_ACCOUNT_PAGES; page += 1) {
      const answer = await this.graph.request<GraphPaged<GraphAccount>>({
        method: 'GET',
        path: 'me/accounts',
        accessToken: userToken,
        appSecret: app.appSecret,
        params: { fields: 'id,name,access_token,category,tasks', limit: ACCOUNTS_PAGE_SIZE, after },
      });
      accounts.push(...(answer.data ?? []));
      after = answer.paging?.cursors?.after;
      if (!answer.paging?.next || !after) break;
    }
    // A Page the person manages without a token for us (e.g. no MESSAGING task) cannot be connected.
    return accounts.filter((account) => Boolean(account.access_token));
  }

  private async withInstagram(app: MetaAppCredentials, account: GraphAccount): Promise<GrantedPage> {
    const answer = await this.graph.request<GraphPageInstagram>({
      method: 'GET',
      path: encodeURIComponent(account.id),
      accessToken: account.access_token,
      appSecret: app.appSecret,
      params: { fields: 'instagram_business_account{id,username}' },
    });
    const instagram = answer.instagram_business_account;
    return {
      id: account.id,
      name: account.name ?? null,
      accessToken: account.access_token!,
      instagram: instagram ? { id: instagram.id, username: instagram.username ?? null } : null,
    };
  }
}
