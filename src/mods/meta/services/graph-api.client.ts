import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../../../config/app-config';
import { Metrics } from '../../../metrics/metrics.service';
import { batchAnswerOf, batchItemOf, GraphBatchAnswer, GraphCall, GraphCredentials, metaApiErrorOf } from './graph-batch';
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
    const started = performance.now();
    try {
      // axios itself, not HttpService's Observable: that one cancels every finished request on
      // unsubscribe, building a CanceledError (with its stack) per Graph call.
      const response = await this.http.axiosRef.request<T>({
        method: request.method,
        url: `${this.baseUrl}/${request.path.replace(/^\/+/, '')}`,
        params: withToken(request.params, request),
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

  /**
   * Several calls with one token as one request (Meta's batch endpoint, at most
   * `GRAPH_BATCH_LIMIT`): one answer per call, in order, each its value or its own failure. Meta
   * counts every call of a batch against the rate limits as if it came alone. Throws only when
   * the batch as a whole got no usable answer (then any of its calls may or may not have been made).
   */
  async batch<T>(credentials: GraphCredentials, calls: GraphCall[]): Promise<GraphBatchAnswer<T>[]> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let answered: unknown;
    try {
      const form = new URLSearchParams({ batch: JSON.stringify(calls.map(batchItemOf)), include_headers: 'false' });
      const response = await this.http.axiosRef.request({
        method: 'POST',
        url: `${this.baseUrl}/`,
        params: withToken({}, credentials),
        data: form.toString(),
        timeout: this.config.graphTimeoutMs,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      answered = response.data;
    } catch (error) {
      const failure = toMetaApiError(error);
      for (const call of calls) this.metrics.graphCall(call.method, call.path, failure.httpStatus, seconds());
      throw failure;
    }
    if (!Array.isArray(answered) || answered.length !== calls.length) {
      for (const call of calls) this.metrics.graphCall(call.method, call.path, 502, seconds());
      throw new MetaApiError(`The Graph API answered a batch of ${calls.length} calls without an answer for each`, null, null, null, null, 502);
    }
    return calls.map((call, i) => {
      const answer = batchAnswerOf<T>(answered[i]);
      this.metrics.graphCall(call.method, call.path, answer.ok ? 200 : answer.error.httpStatus, seconds());
      return answer;
    });
  }
}

/** The query parameters with the token and its `appsecret_proof`, when there is a token. */
function withToken(
  given: GraphRequest['params'],
  credentials: { accessToken?: string; appSecret?: string },
): Record<string, string | number | boolean> {
  const params: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(given ?? {})) if (value !== undefined) params[key] = value;
  if (credentials.accessToken) {
    params.access_token = credentials.accessToken;
    if (credentials.appSecret) params.appsecret_proof = appSecretProof(credentials.accessToken, credentials.appSecret);
  }
  return params;
}

export function toMetaApiError(error: unknown): MetaApiError {
  if (error instanceof MetaApiError) return error;
  // Duck-typed: @nestjs/axios loads axios' ESM build, our compiled code its CJS build, so
  // `instanceof AxiosError` is false in dist/ for every Graph error.
  if (isAxiosError(error)) {
    const status = error.response?.status ?? null;
    const answered = metaApiErrorOf(status, error.response?.data);
    if (answered) return answered;
    const reason = status === null ? `no answer from the Graph API (${error.code ?? 'network error'})` : `Graph API answered HTTP ${status}`;
    return new MetaApiError(reason, null, null, null, null, status);
  }
  return new MetaApiError(`Graph API call failed: ${(error as Error)?.message ?? String(error)}`, null, null, null, null, null);
}
