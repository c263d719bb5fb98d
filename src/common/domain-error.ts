/**
 * Every failure a person or Meta can be told about, by code. Services throw `DomainError`;
 * `DomainErrorFilter` maps each code to its HTTP status in one place.
 */
export enum DomainErrorCode {
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  ValidationFailed = 'validation_failed',
  Conflict = 'conflict',
  MetaAppNotConfigured = 'meta_app_not_configured',
  MetaNotConnected = 'meta_not_connected',
  MetaConnectionExpired = 'meta_connection_expired',
  InstagramNotLinked = 'instagram_not_linked',
  ContactHasNoPsid = 'contact_has_no_psid',
  ContactHasNoIgsid = 'contact_has_no_igsid',
  OutsideMessagingWindow = 'outside_messaging_window',
  UnprocessableRequest = 'unprocessable_request',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  InvalidOAuthState = 'invalid_oauth_state',
  InvalidSignature = 'invalid_signature',
  UpstreamFailed = 'upstream_failed',
}

/** The user-facing strings the contract fixes word for word. */
export const ErrorMessages = {
  metaAppNotConfigured: 'Meta app is not configured. Set it up in Admin > System Config.',
  notConnected: 'Facebook Messenger is not connected. Connect via Settings > Integrations.',
  noPsid: 'This contact has no Facebook Messenger ID. They must message your Page first.',
  noIgsid: 'This contact has no Instagram ID. They must message your account first.',
  instagramNotLinked:
    'No Instagram account linked. Connect an Instagram Business account via Settings > Integrations.',
  connectionExpired: 'Meta connection has expired. Please reconnect via Settings > Integrations.',
} as const;

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError(DomainErrorCode.NotFound, `${what} not found`);
