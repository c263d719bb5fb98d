import { Injectable } from '@nestjs/common';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressVettingError, pinnedLookup, VettedAddress, vetHost } from '../common/vetted-address';
import { AppConfig } from '../config/app-config';

export interface DownloadedMedia {
  body: Buffer;
  contentType: string;
  size: number;
}

export interface DownloadOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

/** A download that failed; `permanent` when trying again cannot help (refused, too large, 404). */
export class MediaDownloadError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MediaDownloadError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 3;

/**
 * Copies a file from a URL someone else gave us (Meta's CDN links in webhooks): http(s) only,
 * every hop's host resolved once and refused when private (unless MEDIA_ALLOW_PRIVATE_NETWORKS),
 * the connection pinned to the vetted address (no DNS rebinding), a deadline, and a size cap
 * enforced while streaming.
 */
@Injectable()
export class MediaDownloader {
  constructor(private readonly config: AppConfig) {}

  async download(url: string, options: DownloadOptions = {}): Promise<DownloadedMedia> {
    const maxBytes = options.maxBytes ?? this.config.maxAttachmentBytes;
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const target = this.parse(current);
      const address = await this.vet(target.hostname);
      const response = await this.get(target, address, deadline);
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        current = new URL(response.headers.location, target).toString();
        continue;
      }
      if (status < 200 || status >= 300) {
        response.resume();
        const transient = status >= 500 || status === 408 || status === 429;
        throw new MediaDownloadError(`the file server answered HTTP ${status}`, !transient);
      }
      return this.read(response, maxBytes, deadline);
    }
    throw new MediaDownloadError(`more than ${MAX_REDIRECTS} redirects`, true);
  }

  private parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new MediaDownloadError('not a URL', true);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MediaDownloadError(`refused ${url.protocol} URL: http(s) only`, true);
    return url;
  }

  /** Resolves the host once; every address must be public unless private networks are allowed. */
  private async vet(hostname: string): Promise<VettedAddress> {
    try {
      return await vetHost(hostname, this.config.mediaAllowPrivateNetworks);
    } catch (error) {
      if (error instanceof AddressVettingError) throw new MediaDownloadError(error.message, error.reason === 'refused');
      throw error;
    }
  }

  private get(url: URL, pinned: VettedAddress, deadline: number): Promise<IncomingMessage> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      // The reason we abort is the error to report, whatever the socket says afterwards.
      let abortedFor: MediaDownloadError | null = null;
      const req = send(url, { method: 'GET', lookup: pinnedLookup(pinned), headers: { accept: '*/*', 'user-agent': 'meta-inbox-media' } }, resolve);
      const timer = setTimeout(() => {
        abortedFor = new MediaDownloadError('timed out', false);
        req.destroy(abortedFor);
      }, Math.max(0, deadline - Date.now()));
      // From here on `read` enforces the same deadline on the body.
      req.on('response', () => clearTimeout(timer));
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(abortedFor ?? new MediaDownloadError(`download failed: ${error.message}`, false));
      });
      req.end();
    });
  }

  private read(response: IncomingMessage, maxBytes: number, deadline: number): Promise<DownloadedMedia> {
    const contentType = (response.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim() || 'application/octet-stream';
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.destroy();
      return Promise.reject(new MediaDownloadError(`the file is larger than ${maxBytes} bytes`, true));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let abortedFor: MediaDownloadError | null = null;
      const abort = (reason: MediaDownloadError) => {
        abortedFor ??= reason;
        response.destroy(reason);
      };
      const timer = setTimeout(() => abort(new MediaDownloadError('timed out', false)), Math.max(0, deadline - Date.now()));
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) abort(new MediaDownloadError(`the file is larger than ${maxBytes} bytes`, true));
        else chunks.push(chunk);
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(abortedFor ?? new MediaDownloadError(`download failed: ${error.message}`, false));
      });
      response.on('end', () => {
        clearTimeout(timer);
        if (abortedFor) reject(abortedFor);
        else resolve({ body: Buffer.concat(chunks), contentType, size });
      });
      // After 'end' this is a no-op; without it, a connection cut mid-body would never settle.
      response.on('close', () => {
        clearTimeout(timer);
        reject(abortedFor ?? new MediaDownloadError('the connection closed before the file was complete', false));
      });
    });
  }
}
