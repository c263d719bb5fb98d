import type { InboundAttachment, RawAttachment } from '../types/webhook.types';

/**
 * Attachment types whose URL is a link to a web page, not a file: kept as they are, never
 * downloaded. Every other type with a URL (image, video, audio, file, share, story_mention,
 * ig_reel, reel, ig_post, and types Meta adds later) is copied into our storage.
 */
const LINK_TYPES = new Set(['fallback', 'location', 'template']);

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
}

/** One attachment of a message; an unknown type or one without a payload is kept, never dropped. */
export function mapAttachment(raw: RawAttachment): InboundAttachment {
  const type = typeof raw.type === 'string' && raw.type !== '' ? raw.type : 'unknown';
  const payload = raw.payload && typeof raw.payload === 'object' ? { ...raw.payload } : null;
  // Old-style fallbacks put title and url beside the payload.
  const extra: Record<string, unknown> = {};
  if (raw.title !== undefined) extra.title = raw.title;
  if (raw.url !== undefined) extra.url = raw.url;
  const merged = payload || Object.keys(extra).length > 0 ? { ...extra, ...(payload ?? {}) } : null;
  const url = LINK_TYPES.has(type) ? null : httpUrl(payload?.url);
  return { type, url, payload: merged };
}

export function mapAttachments(raw: unknown): InboundAttachment[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((a): a is RawAttachment => a !== null && typeof a === 'object').map(mapAttachment);
}
