import type { InboundAttachment } from '../../../messaging/ingest/inbound-item';
import type { RawAttachment } from '../types/webhook.types';

/**
 * Attachment types whose URL is a link to a web page, not a file: kept as they are, never
 * downloaded. Every other type with a URL (image, video, audio, file, share, ig_reel, reel,
 * ig_post, and types Meta adds later) is copied into our storage, except story mentions.
 */
const LINK_TYPES = new Set(['fallback', 'location', 'template']);

/** Media Meta's policy forbids storing: the record keeps Meta's CDN URL and nothing is copied. */
const REMOTE_TYPES = new Set(['story_mention']);

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}

/**
 * When a Meta CDN link stops working: its `oe` parameter is the expiry in hex unix seconds.
 * Without one, a story's media lives as long as the story: 24 hours.
 */
export function cdnExpiry(url: string, sentAt: number): Date {
  const oe = new URL(url).searchParams.get('oe');
  const seconds = oe && /^[0-9a-f]{1,12}$/i.test(oe) ? parseInt(oe, 16) : NaN;
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : sentAt + 24 * 3600 * 1000);
}

/** One attachment of a message sent at `sentAt`; an unknown type or one without a payload is kept, never dropped. */
export function mapAttachment(raw: RawAttachment, sentAt: number): InboundAttachment {
  const type = typeof raw.type === 'string' && raw.type !== '' ? raw.type : 'unknown';
  const payload = raw.payload && typeof raw.payload === 'object' ? { ...raw.payload } : null;
  // Old-style fallbacks put title and url beside the payload.
  const extra: Record<string, unknown> = {};
  if (raw.title !== undefined) extra.title = raw.title;
  if (raw.url !== undefined) extra.url = raw.url;
  const merged = payload || Object.keys(extra).length > 0 ? { ...extra, ...(payload ?? {}) } : null;
  if (REMOTE_TYPES.has(type)) {
    const remoteUrl = httpUrl(payload?.url);
    return { type, url: null, remoteUrl, remoteExpiresAt: remoteUrl ? cdnExpiry(remoteUrl, sentAt).getTime() : null, payload: merged };
  }
  const url = LINK_TYPES.has(type) ? null : httpUrl(payload?.url);
  return { type, url, remoteUrl: null, payload: merged };
}

export function mapAttachments(raw: unknown, sentAt: number): InboundAttachment[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((a): a is RawAttachment => a !== null && typeof a === 'object').map((a) => mapAttachment(a, sentAt));
}
