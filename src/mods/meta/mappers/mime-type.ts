/** The Send API's attachment types. */
export type MetaAttachmentType = 'image' | 'video' | 'audio' | 'file';

/** The seed's mapping: by MIME prefix `image/`, `video/`, `audio/`; everything else is a `file`. */
export function metaAttachmentType(mimeType: string | null | undefined): MetaAttachmentType {
  const type = (mimeType ?? '').trim().toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'file';
}

/** Audio and video share Meta's tighter per-Page limit (10 calls/s). */
export function isHeavyMedia(type: MetaAttachmentType): boolean {
  return type === 'audio' || type === 'video';
}
