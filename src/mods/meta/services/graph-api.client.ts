import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../../../config/app-config';
import { Metrics } from '../../../metrics/metrics.service';
import { MetaApiError } from './graph-error';

export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path after the version, e.g. `me/messages` or `oauth/access_token`. */
  path: string;
  accessToken?: string;
  /** With a Page or user token: adds `appsecret_proof`. */
  appSecret?: string;
  params?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  timeoutMs?: number;
}

interface GraphErrorEnvelope {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; fbtrace_id?: string };
}

/** HMAC-SHA256 of the access token keyed with the app secret, as Meta expects it. */
export function appSecretProof(accessToken: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

/**
 * The only code that talks to the Graph API (`META_GRAPH_URL`/`META_GRAPH_VERSION`). Every
 * failure becomes a `MetaApiError`, classified by code; tokens never appear in what it throws.
 */
@Injectable()
export class GraphApiClient {
  constructor(
    private readonly http: HttpService,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  get baseUrl(): string {
    return `${this.config.metaGraphUrl}/${this.config.metaGraphVersion}`;
  }

  async request<T>(request: GraphRequest): Promise<T> {
    const params: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(request.params ?? {})) if (value !== undefined) params[key] = value;
    if (request.accessToken) {
      params.access_token = request.accessToken;
      if (request.appSecret) params.appsecret_proof = appSecretProof(request.accessToken, request.appSecret);
    }
    const started = performance.now();
    try {
      // axios itself, not HttpService's Observable: that one cancels every finished request on
      // unsubscribe, building a CanceledError (with its stack) per Graph call.
      const response = await this.http.axiosRef.request<T>({
        method: request.method,
        url: `${this.baseUrl}/${request.path.replace(/^\/+/, '')}`,
        params,
        data: request.body,
        timeout: request.timeoutMs ?? this.config.graphTimeoutMs,
        headers: request.body === undefined ? undefined : { 'content-type': 'application/json' },
      });
      this.metrics.graphCall(request.method, request.path, response.status, (performance.now() - started) / 1000);
      return response.data;
    } catch (error) {
      const failure = toMetaApiError(error);
      this.metrics.graphCall(request.method, request.path, failure.httpStatus, (performance.now() - started) / 1000);
      throw failure;
    }
  }
}

export function toMetaApiError(error: unknown): MetaApiError {
  if (error instanceof MetaApiError) return error;
  // Duck-typed: @nestjs/axios loads axios' ESM build, our compiled code its CJS build, so
  // `instanceof AxiosError` is false in dist/ for every Graph error.
  if (isAxiosError(error)) {
    const status = error.response?.status ?? null;
    const body = error.response?.data as GraphErrorEnvelope | undefined;
    const graph = body && typeof body === 'object' ? body.error : undefined;
    if (graph) {
      return new MetaApiError(
        graph.message ?? `Graph API error (HTTP ${status})`,
        graph.code ?? null,
        graph.error_subcode ?? null,
        graph.type ?? null,
        graph.fbtrace_id ?? null,
        status,
      );
    }
    const reason = status === null ? `no answer from the Graph API (${error.code ?? 'network error'})` : `Graph API answered HTTP ${status}`;
    return new MetaApiError(reason, null, null, null, null, status);
  }
  return new MetaApiError(`Graph API call failed: ${(error as Error)?.message ?? String(error)}`, null, null, null, null, null);
}
