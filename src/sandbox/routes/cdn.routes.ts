import { SandboxReply, SandboxRoute } from '../sandbox-route';

/** Meta's lookaside CDN: inbound media URLs point here. */
export const cdnRoutes: SandboxRoute[] = [
  {
    method: 'GET',
    pattern: /^cdn\/([^/]+)$/,
    handle(ctx, match): SandboxReply {
      const file = ctx.state.cdn.get(match[1]);
      if (!file) return { status: 404, body: 'URL signature expired', headers: { 'content-type': 'text/plain' } };
      return { status: 200, body: file.body, headers: { 'content-type': file.contentType, 'content-length': String(file.body.length) } };
    },
  },
];
