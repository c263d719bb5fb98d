import { faults, GraphFault } from './graph-fault';
import { parseBody, safeJson, VERSIONED } from './sandbox-http';
import { json, SandboxContext, SandboxReply } from './sandbox-route';

/** Calls in one batch request, at most (Meta's limit). */
const BATCH_LIMIT = 50;

/** A handler's answer, or the Graph error (or a sandbox failure) it threw as Meta would answer it. */
export async function answerOf(handle: () => Promise<SandboxReply>): Promise<SandboxReply> {
  try {
    return await handle();
  } catch (error) {
    return error instanceof GraphFault ? json(error.envelope(), error.httpStatus) : json({ error: { message: String(error), type: 'SandboxError', code: 1 } }, 500);
  }
}

/**
 * Meta's batch endpoint: `batch` is a JSON array of at most 50 calls
 * (`{method, relative_url, body}`, the body a form), each run through `dispatch` as if it came
 * alone (recorded, faults and limits its own) with the batch's token unless it names one. The
 * answer is one `{code, headers, body}` per call, in order, the body its JSON answer as a string.
 */
export async function answerBatch(ctx: SandboxContext, dispatch: (call: SandboxContext) => Promise<SandboxReply>): Promise<SandboxReply> {
  const calls: unknown = typeof ctx.params.batch === 'string' ? safeJson(ctx.params.batch) : ctx.params.batch;
  if (!Array.isArray(calls) || calls.length === 0) throw faults.invalidParameter('The parameter batch must be a JSON array of requests');
  if (calls.length > BATCH_LIMIT) throw faults.invalidParameter(`Too many requests in batch message. Maximum batch size is ${BATCH_LIMIT}`);
  const version = ctx.path.match(/^\/(v\d+\.\d+)\/?$/)?.[1];
  const withHeaders = String(ctx.params.include_headers) !== 'false';
  const answers: unknown[] = [];
  for (const call of calls) {
    const reply = await answerOf(() => dispatch(batchCallContext(ctx, call, version)));
    const answer: Record<string, unknown> = { code: reply.status ?? 200, body: JSON.stringify(reply.json ?? null) };
    if (withHeaders) answer.headers = [{ name: 'Content-Type', value: 'text/javascript; charset=UTF-8' }];
    answers.push(answer);
  }
  return json(answers);
}

/** One call of a batch as a request of its own: its path under the batch's version, its form body, the batch's token unless it has one. */
function batchCallContext(batch: SandboxContext, call: unknown, version: string | undefined): SandboxContext {
  const { method, relative_url: relativeUrl, body: rawBody } = (call ?? {}) as { method?: unknown; relative_url?: unknown; body?: unknown };
  if (typeof relativeUrl !== 'string' || relativeUrl === '') throw faults.invalidParameter('Each request in a batch needs a relative_url');
  const relative = relativeUrl.replace(/^\/+/, '');
  const url = new URL(VERSIONED.test(`/${relative}`) || !version ? `/${relative}` : `/${version}/${relative}`, 'http://sandbox');
  // Graph paths only: not the sandbox's own routes or its CDN (a `..` would reach them).
  if (url.pathname.startsWith('/_sandbox') || url.pathname.startsWith('/cdn/')) throw faults.unknownPath(relative);
  const query = Object.fromEntries(url.searchParams);
  const body = typeof rawBody === 'string' ? parseBody(rawBody, 'application/x-www-form-urlencoded') : {};
  const inherited: Record<string, unknown> = {};
  for (const key of ['access_token', 'appsecret_proof']) if (batch.params[key] !== undefined) inherited[key] = batch.params[key];
  return {
    ...batch,
    method: typeof method === 'string' ? method.toUpperCase() : 'GET',
    path: url.pathname,
    query,
    body,
    params: { ...inherited, ...query, ...body },
    rawBody: typeof rawBody === 'string' ? rawBody : '',
  };
}
