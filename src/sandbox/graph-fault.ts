import { randomBytes } from 'node:crypto';

/**
 * A Graph API error as Meta sends it: `{"error": {message, type, code, error_subcode,
 * fbtrace_id}}`. Route handlers throw it; the server turns it into the answer.
 */
export class GraphFault extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly subcode?: number,
    readonly httpStatus = 400,
    readonly type = 'OAuthException',
  ) {
    super(message);
  }

  envelope(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { message: this.message, type: this.type, code: this.code };
    if (this.subcode !== undefined) error.error_subcode = this.subcode;
    error.fbtrace_id = fbtraceId();
    return { error };
  }
}

export const fbtraceId = () => `A${randomBytes(11).toString('base64url')}`;

/** The errors the sandbox gives, worded as Meta words them. */
export const faults = {
  invalidParameter: (message: string, subcode?: number) => new GraphFault(`(#100) ${message}`, 100, subcode),
  noToken: () => new GraphFault('An active access token must be used to query information about the current user.', 2500),
  badToken: () => new GraphFault('Invalid OAuth access token - Cannot parse access token', 190),
  expiredToken: () =>
    new GraphFault('Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.', 190, 460),
  missingProof: () => new GraphFault('API calls from the server require an appsecret_proof argument', 100),
  invalidProof: () => new GraphFault('Invalid appsecret_proof provided in the API argument', 100),
  unknownObject: (id: string) =>
    new GraphFault(
      `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      100,
      33,
      400,
      'GraphMethodException',
    ),
  needPageToken: () => new GraphFault('(#210) A page access token is required to request this resource.', 210),
  unknownPath: (path: string) => new GraphFault(`Unknown path components: ${path}`, 2500, undefined, 404),
  serviceError: (httpStatus: number) => new GraphFault('An unexpected error has occurred. Please retry your request later.', 2, undefined, httpStatus),
};
