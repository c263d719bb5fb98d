/** How a stored file is handed to a browser: the type it is served as, and inline or as a download. */
export interface FileServing {
  contentType: string;
  disposition: 'inline' | 'attachment';
}

/**
 * Types a browser would run as a document or script on our origin (stored XSS against agents)
 * are never served as themselves, whoever stored them (an upload, or a copy from Meta's CDN).
 */
const ACTIVE_TYPES = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|[a-z]+\/[a-z.+-]*(javascript|ecmascript)|text\/xsl|application\/xslt\+xml)$/;

/**
 * Images, video and audio are shown inline (the inbox previews them); everything else is a
 * download. SVG is an image that can carry script, so it is a download too.
 */
export function fileServing(storedType: string): FileServing {
  const type = storedType.split(';')[0].trim().toLowerCase();
  if (ACTIVE_TYPES.test(type)) return { contentType: 'application/octet-stream', disposition: 'attachment' };
  const inline = /^(image|video|audio)\//.test(type);
  return { contentType: storedType, disposition: inline ? 'inline' : 'attachment' };
}

/**
 * Sent with every file answer: no type sniffing, and a CSP sandbox that strips any document we
 * serve of script, forms, plugins and our origin, should a browser render one anyway.
 */
export const FILE_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
} as const;
