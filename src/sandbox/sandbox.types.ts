/** The public shapes of the Meta sandbox (see `MetaSandbox`). */

export interface SandboxStartOptions {
  port?: number;
  host?: string;
  appId?: string;
  appSecret?: string;
  verifyToken?: string;
}

export interface SandboxPageInput {
  id: string;
  name: string;
  instagram?: { id: string; username: string };
}

export interface SandboxPage extends SandboxPageInput {
  /** The Page access token `/me/accounts` hands out (never expires unless `expireToken`). */
  accessToken: string;
  category: string;
}

/** One Graph API call the sandbox answered (or refused). */
export interface SandboxRequest {
  method: string;
  /** The URL path as received, version included (e.g. `/v21.0/me/messages`). */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Date.now() when it arrived. */
  at: number;
  /** The Page whose token made the call, when it was a Page token. */
  pageId?: string;
  /** HTTP status the sandbox answered. */
  status?: number;
  /** A call made as an item of a batch request (recorded after that request). */
  batched?: boolean;
}

/** An accepted Send API call: a message or a sender action. */
export interface SentMessage {
  path: string;
  pageId: string;
  /** Set when the call went to `/{ig-id}/messages`. */
  instagramAccountId?: string;
  recipientId: string;
  body: Record<string, any>;
  /** Absent for sender actions. */
  messageId?: string;
  /** For private replies: the comment the reply went to (`recipient.comment_id`). */
  commentId?: string;
  /** For attachments: what the sandbox fetched from `payload.url`. */
  fetched?: { contentType: string | null; size: number };
  /** The reusable attachment id this message used (`payload.attachment_id`) or saved (`is_reusable: true`). */
  attachmentId?: string;
  at: number;
}

/** A failure to inject into the next matching Graph calls. */
export interface SandboxFault {
  code?: number;
  subcode?: number;
  httpStatus?: number;
  message?: string;
  /** Wait this long before answering (alone: a slow but successful answer). */
  delayMs?: number;
  /** Only calls whose path (version included) matches. */
  path?: RegExp;
  /** Only calls made with this Page's token. */
  pageId?: string;
  /** Every matching call for this long (the count is ignored): e.g. a Page answering 613 for a minute. */
  forMs?: number;
}

export interface UnmatchedRequest {
  method: string;
  path: string;
  at: number;
}

export type WebhookSignature = 'valid' | 'invalid' | 'missing';

export type SandboxPlatform = 'facebook' | 'instagram';

/** A comment on a Page post or Instagram media, as the sandbox keeps it. */
export interface SandboxComment {
  id: string;
  platform: SandboxPlatform;
  pageId: string;
  /** The Page id (Facebook) or Instagram account id (Instagram) the webhook names. */
  accountId: string;
  postId: string;
  parentId: string | null;
  from: { id: string; name?: string; username?: string };
  text: string;
  /** ms since the epoch. */
  createdTime: number;
  hidden: boolean;
  removed: boolean;
  /** Set once a private reply was accepted: Meta takes one per comment. */
  privateReply?: { messageId: string; recipientId: string };
  replies: { id: string; text: string }[];
}

export interface SandboxCommentInput {
  platform: SandboxPlatform;
  /** Defaults to the first Page. */
  pageId?: string;
  text?: string;
  from?: { id: string; name?: string; username?: string };
  postId?: string;
  parentId?: string;
  /** ms since the epoch; defaults to now (set it 8 days back to see the 7-day refusal). */
  createdTime?: number;
  id?: string;
}
