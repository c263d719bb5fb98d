import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger as Pino } from 'pino';
import { redactUrl } from './root-logger';

/** The reason a request was refused, noted by the error filter for the request's log line. */
const reasons = new WeakMap<object, string>();

export function noteRefusalReason(reply: FastifyReply, reason: string | string[]): void {
  reasons.set(reply.raw, Array.isArray(reason) ? reason.join('; ') : reason);
}

/** What a route did, noted for the request's log line as its own fields (one line per request, not two). */
const facts = new WeakMap<object, Record<string, unknown>>();

export function noteRequestFacts(reply: FastifyReply, noted: Record<string, unknown>): void {
  facts.set(reply.raw, { ...facts.get(reply.raw), ...noted });
}

/** Probes scraped every few seconds would drown everything else. */
const QUIET_PATHS = /^\/(health|metrics)(\?|$)/;

/**
 * One line per answered request: id, method, URL (credentials redacted), status, time, for a 4xx
 * or 5xx the reason the client was given, and what the route noted (`noteRequestFacts`).
 */
export function registerRequestLogging(fastify: FastifyInstance, pino: Pino): void {
  const log = pino.child({ context: 'HTTP' });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!QUIET_PATHS.test(request.url)) {
      const status = reply.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      const reason = reasons.get(reply.raw);
      log[level](
        {
          req: { id: request.id, method: request.method, url: redactUrl(request.url) },
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime),
          ...(reason ? { reason } : {}),
          ...facts.get(reply.raw),
        },
        `${request.method} ${redactUrl(request.url)} ${status}`,
      );
    }
    done();
  });
}
