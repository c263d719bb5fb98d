import { MetaApiError } from './graph-error';

/** Calls in one batch request, at most: Meta's limit. */
export const GRAPH_BATCH_LIMIT = 50;

/** One Graph call that can go alone or as an item of a batch request. */
export interface GraphCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path after the version, e.g. `me/messages`. */
  path: string;
  body?: Record<string, unknown>;
}

/** The token a call is made with (and the app secret for its `appsecret_proof`). */
export interface GraphCredentials {
  accessToken: string;
  appSecret?: string;
}

/** A call as Meta reads an item of `batch`: its path, and its body as a form, objects as JSON. */
export interface GraphBatchItem {
  method: GraphCall['method'];
  relative_url: string;
  body?: string;
}

/** What Meta answered one item: its parsed body, or the failure it stands for. */
export type GraphBatchAnswer<T> = { ok: true; value: T } | { ok: false; error: MetaApiError };

interface GraphErrorEnvelope {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; fbtrace_id?: string };
}

export function batchItemOf(call: GraphCall): GraphBatchItem {
  const item: GraphBatchItem = { method: call.method, relative_url: call.path.replace(/^\/+/, '') };
  if (call.body !== undefined) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(call.body)) {
      if (value !== undefined) form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    item.body = form.toString();
  }
  return item;
}

/**
 * Meta's answer to one item (`{code, headers, body}`, the body a JSON string) as the call's value
 * or its failure, classified by Meta's error code as an answer to the call alone would be. An item
 * answered `null` is one Meta gave up on within the batch: a failure with no answer (transient).
 */
export function batchAnswerOf<T>(item: unknown): GraphBatchAnswer<T> {
  if (item === null || typeof item !== 'object') {
    return { ok: false, error: new MetaApiError('no answer from the Graph API for this call of a batch (Meta timed it out)', null, null, null, null, null) };
  }
  const { code, body } = item as { code?: unknown; body?: unknown };
  const status = typeof code === 'number' ? code : null;
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' && body !== '' ? JSON.parse(body) : null;
  } catch {
    parsed = undefined;
  }
  if (status !== null && status >= 200 && status < 300 && parsed !== undefined) return { ok: true, value: parsed as T };
  const failure = metaApiErrorOf(status, parsed);
  if (failure) return { ok: false, error: failure };
  // A success we cannot read, or an item without a status, is a bad answer from Meta's side (transient).
  const unreadable = status === null || (status >= 200 && status < 300);
  const reason = unreadable ? 'Graph API answered this call of a batch with nothing readable' : `Graph API answered HTTP ${status} for this call of a batch`;
  return { ok: false, error: new MetaApiError(reason, null, null, null, null, unreadable ? 502 : status) };
}

/** The `MetaApiError` a Graph error envelope (`{error: {code, …}}`) stands for, or null when the body is none. */
export function metaApiErrorOf(status: number | null, body: unknown): MetaApiError | null {
  const graph = body && typeof body === 'object' ? (body as GraphErrorEnvelope).error : undefined;
  if (!graph) return null;
  return new MetaApiError(
    graph.message ?? `Graph API error (HTTP ${status})`,
    graph.code ?? null,
    graph.error_subcode ?? null,
    graph.type ?? null,
    graph.fbtrace_id ?? null,
    status,
  );
}
