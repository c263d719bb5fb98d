import { ErrorMessages } from '../../../common/domain-error';
import { assertUnreachable } from '../../../common/assert-unreachable';

/** What a Graph API failure means for us, decided by `code` / `error_subcode` only. */
export enum GraphErrorKind {
  TokenExpired = 'token_expired',
  RateLimited = 'rate_limited',
  Transient = 'transient',
  OutsideWindow = 'outside_window',
  PermissionMissing = 'permission_missing',
  InvalidParameter = 'invalid_parameter',
  RecipientUnavailable = 'recipient_unavailable',
  /** A private reply to a comment that already has one. */
  AlreadyReplied = 'already_replied',
  /** A private reply Meta no longer allows (the comment is over 7 days old, or cannot be answered). */
  CannotReplyToComment = 'cannot_reply_to_comment',
  Unknown = 'unknown',
}

/** Graph API error codes we act on (Meta's "Handling Errors" reference). */
export enum GraphErrorCode {
  UnknownError = 1,
  ServiceError = 2,
  AppRateLimit = 4,
  PermissionDenied = 10,
  UserRateLimit = 17,
  PageRateLimit = 32,
  InvalidParameter = 100,
  TokenExpired = 190,
  PermissionBase = 200,
  PermissionMax = 299,
  RecipientUnavailable = 551,
  ApiRateLimit = 613,
  ActivityAlreadyReplied = 10900,
  CannotReplyToActivity = 10903,
}

/** Subcodes that mean "outside the messaging window" (Messenger, Instagram). */
export const OUTSIDE_WINDOW_SUBCODES = new Set([2018278, 2534022]);

export interface GraphErrorFacts {
  code: number | null;
  subcode: number | null;
  /** HTTP status, or null when no answer came (timeout, connection refused). */
  httpStatus: number | null;
}

export function classifyGraphError({ code, subcode, httpStatus }: GraphErrorFacts): GraphErrorKind {
  if (subcode !== null && OUTSIDE_WINDOW_SUBCODES.has(subcode)) return GraphErrorKind.OutsideWindow;
  switch (code) {
    case GraphErrorCode.TokenExpired:
      return GraphErrorKind.TokenExpired;
    case GraphErrorCode.AppRateLimit:
    case GraphErrorCode.UserRateLimit:
    case GraphErrorCode.PageRateLimit:
    case GraphErrorCode.ApiRateLimit:
      return GraphErrorKind.RateLimited;
    case GraphErrorCode.UnknownError:
    case GraphErrorCode.ServiceError:
      return GraphErrorKind.Transient;
    case GraphErrorCode.PermissionDenied:
      return GraphErrorKind.PermissionMissing;
    case GraphErrorCode.InvalidParameter:
      return GraphErrorKind.InvalidParameter;
    case GraphErrorCode.RecipientUnavailable:
      return GraphErrorKind.RecipientUnavailable;
    case GraphErrorCode.ActivityAlreadyReplied:
      return GraphErrorKind.AlreadyReplied;
    case GraphErrorCode.CannotReplyToActivity:
      return GraphErrorKind.CannotReplyToComment;
  }
  if (code !== null && code >= GraphErrorCode.PermissionBase && code <= GraphErrorCode.PermissionMax) {
    return GraphErrorKind.PermissionMissing;
  }
  if (httpStatus === null || httpStatus >= 500 || httpStatus === 429) return GraphErrorKind.Transient;
  return GraphErrorKind.Unknown;
}

export function isTransient(kind: GraphErrorKind): boolean {
  return kind === GraphErrorKind.Transient || kind === GraphErrorKind.RateLimited;
}

/** A failed Graph API call, with Meta's error envelope and our reading of it. */
export class MetaApiError extends Error {
  readonly kind: GraphErrorKind;
  readonly transient: boolean;

  constructor(
    message: string,
    readonly code: number | null,
    readonly subcode: number | null,
    readonly type: string | null,
    readonly fbtraceId: string | null,
    readonly httpStatus: number | null,
  ) {
    super(message);
    this.name = 'MetaApiError';
    this.kind = classifyGraphError({ code, subcode, httpStatus });
    this.transient = isTransient(this.kind);
  }

  /** The stored `errorDetails` of a message. */
  details(): { code: number | null; subcode: number | null; message: string; fbtraceId: string | null } {
    return { code: this.code, subcode: this.subcode, message: this.message, fbtraceId: this.fbtraceId };
  }

  /** A sentence a person can act on. */
  userMessage(): string {
    switch (this.kind) {
      case GraphErrorKind.TokenExpired:
        return ErrorMessages.connectionExpired;
      case GraphErrorKind.OutsideWindow:
        return 'Meta refused this message because it is outside the 24-hour messaging window. Wait for the customer to write again, or reply within 7 days with the HUMAN_AGENT tag.';
      case GraphErrorKind.PermissionMissing:
        return `The connected Page lacks a permission Meta requires for this (Meta says: ${this.message}). Reconnect via Settings > Integrations and grant every requested permission.`;
      case GraphErrorKind.InvalidParameter:
        return `Meta rejected the message as invalid (Meta says: ${this.message}).`;
      case GraphErrorKind.RecipientUnavailable:
        return 'This person is not available on Messenger right now (they may have blocked the Page or deactivated their account).';
      case GraphErrorKind.RateLimited:
        return 'Meta rate-limited the Page and the message could not be sent after several tries. Try again in a few minutes.';
      case GraphErrorKind.Transient:
        return 'Meta could not be reached or failed to answer after several tries. Try again in a few minutes.';
      case GraphErrorKind.AlreadyReplied:
        return 'Meta says this comment already has a private reply; it allows one per comment. Continue in the conversation it opened.';
      case GraphErrorKind.CannotReplyToComment:
        return 'Meta no longer accepts a private reply to this comment: one is allowed only within 7 days of the comment. Reply publicly instead.';
      case GraphErrorKind.Unknown:
        return `Meta refused the message (Meta says: ${this.message}).`;
      default:
        return assertUnreachable(this.kind);
    }
  }
}
