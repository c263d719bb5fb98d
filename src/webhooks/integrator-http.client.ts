import { Injectable } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressVettingError, pinnedLookup, vetHost } from '../common/vetted-address';
import { AppConfig } from '../config/app-config';

/** A 2xx within this long is success; anything slower is a failed attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of an answer we read (and then drop): enough to finish the exchange, no more. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AttemptOutcome {
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
}

/**
 * The one way out to integrators' endpoints: a POST to an address vetted once and pinned (no
 * DNS rebinding; loopback/private refused unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS), no redirects,
 * a 10 s deadline for the whole exchange, the answer read up to 64 KB and dropped.
 */
@Injectable()
export class IntegratorHttpClient {
  constructor(private readonly config: AppConfig) {}

  /** Throws `AddressVettingError` for a URL we must not call (checked at registration too). */
  async vet(url: string): Promise<void> {
    await vetHost(new URL(url).hostname, this.config.webhooksAllowPrivateNetworks);
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<AttemptOutcome> {
    const target = new URL(url);
    let pinned;
    try {
      pinned = await vetHost(target.hostname, this.config.webhooksAllowPrivateNetworks);
    } catch (error) {
      if (error instanceof AddressVettingError) return { ok: false, responseStatus: null, error: error.message };
      throw error;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = send(
        target,
        {
          method: 'POST',
          lookup: pinnedLookup(pinned),
          headers: { ...headers, 'content-length': Buffer.byteLength(body), 'user-agent': 'meta-inbox-webhooks' },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_RESPONSE_BYTES) res.destroy();
          });
          const done = () => {
            const ok = status >= 200 && status < 300;
            finish({ ok, responseStatus: status, error: ok ? null : status >= 300 && status < 400 ? `redirect (HTTP ${status}) not followed` : `HTTP ${status}` });
          };
          res.on('end', done);
          res.on('close', done);
          res.on('error', done);
        },
      );
      const timer = setTimeout(() => {
        finish({ ok: false, responseStatus: null, error: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` });
        req.destroy();
      }, DELIVERY_TIMEOUT_MS);
      req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, responseStatus: null, error: `request failed: ${error.code ?? error.message}` }));
      req.end(body);
    });
  }
}
