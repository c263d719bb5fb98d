/** The service's REST API, called with the signed-in token. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ? String(body.message) : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

const query = (params) =>
  new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== '')).toString();

export function createApi(token, { onUnauthorized }) {
  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token}` };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: payload });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      if (response.status === 401) onUnauthorized();
      throw new ApiError(response.status, data);
    }
    return data;
  }

  return {
    session: () => call('GET', '/api/inbox/session'),
    conversations: (channel, cursor) => call('GET', `/api/conversations?${query({ channel, cursor, limit: 50 })}`),
    conversation: (id) => call('GET', `/api/conversations/${encodeURIComponent(id)}`),
    messages: (id, cursor) => call('GET', `/api/conversations/${encodeURIComponent(id)}/messages?${query({ order: 'desc', limit: 30, cursor })}`),
    markRead: (id) => call('POST', `/api/conversations/${encodeURIComponent(id)}/read`),
    upload(file) {
      const form = new FormData();
      form.append('file', file, file.name);
      return call('POST', '/api/attachments', form);
    },
    send: (body) => call('POST', '/api/messaging/send', body),
    react: (messageId, reaction) => call('POST', `/api/messages/${encodeURIComponent(messageId)}/reaction`, { reaction }),
    unreact: (messageId) => call('DELETE', `/api/messages/${encodeURIComponent(messageId)}/reaction`),
    events: (after) => call('GET', `/api/events?${query({ after, limit: 100 })}`),
    comments: (cursor) => call('GET', `/api/comments?${query({ cursor, limit: 50 })}`),
    privateReply: (commentId, text) => call('POST', `/api/comments/${encodeURIComponent(commentId)}/private-reply`, { text }),
  };
}
