import { randomBytes } from 'node:crypto';
import { faults, GraphFault } from '../graph-fault';
import { json, SandboxContext, SandboxReply, SandboxRoute } from '../sandbox-route';
import { SandboxComments } from '../sandbox-comments';
import type { SandboxPage, SentMessage } from '../sandbox.types';
import { checkQuickReplies, checkTemplate, fileSource, LIMITS, unknownAttachment } from './message-checks';
import { requirePageToken } from './pages.routes';

const MESSAGING_TYPES = new Set(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']);
const ATTACHMENT_TYPES = new Set(['image', 'video', 'audio', 'file', 'template']);
const SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']);
const FETCH_TIMEOUT_MS = 5000;

interface SendTarget {
  page: SandboxPage;
  instagramAccountId?: string;
}

/** Which Page (and Instagram account) a Send API path speaks for, checked against the token. */
function target(ctx: SandboxContext, node: string): SendTarget {
  const owner = ctx.state.authenticate(ctx.params, ctx.headers.authorization);
  if (owner.kind !== 'page') throw faults.needPageToken();
  if (node === 'me' || node === owner.page.id) return { page: owner.page };
  if (owner.page.instagram?.id === node) return { page: owner.page, instagramAccountId: node };
  throw faults.unknownObject(node);
}

export function newMessageId(instagram: boolean): string {
  return instagram ? `aWdfZAG1faXRlbToxOklHTWVzc2FnZA${randomBytes(24).toString('base64url')}` : `m_${randomBytes(33).toString('base64url')}`;
}

/** Meta downloads attachment URLs itself; a URL it cannot GET fails the send. */
async function fetchAttachment(url: unknown): Promise<{ contentType: string | null; size: number }> {
  const cannotFetch = () => faults.invalidParameter('Failed to fetch the file from the url', 2018008);
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw cannotFetch();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
    if (!response.ok) throw cannotFetch();
    const bytes = Buffer.from(await response.arrayBuffer());
    return { contentType: response.headers.get('content-type'), size: bytes.length };
  } catch (error) {
    if (error instanceof GraphFault) throw error;
    throw cannotFetch();
  }
}

function senderAction(ctx: SandboxContext, action: string): void {
  if (!SENDER_ACTIONS.has(action)) throw faults.invalidParameter(`Param sender_action must be one of {${[...SENDER_ACTIONS].join(', ')}}`);
  if (ctx.params.message !== undefined) throw faults.invalidParameter('Cannot send a message and a sender_action in the same request');
  if (action === 'react' || action === 'unreact') {
    const payload = ctx.params.payload ?? {};
    if (typeof payload.message_id !== 'string' || !payload.message_id) throw faults.invalidParameter('The parameter payload[message_id] is required');
    if (action === 'react' && (typeof payload.reaction !== 'string' || !payload.reaction)) {
      throw faults.invalidParameter('The parameter payload[reaction] is required');
    }
  }
}

interface MessageOutcome {
  fetched?: SentMessage['fetched'];
  attachmentId?: string;
  /** Set when the call saved its attachment for reuse: Meta answers the id. */
  saved?: boolean;
}

async function message(ctx: SandboxContext, sendTarget: SendTarget): Promise<MessageOutcome> {
  const type = ctx.params.messaging_type;
  if (type === undefined) throw faults.invalidParameter('The parameter messaging_type is required');
  if (!MESSAGING_TYPES.has(type)) throw faults.invalidParameter(`Param messaging_type must be one of {${[...MESSAGING_TYPES].join(', ')}}`);
  if (type === 'MESSAGE_TAG' && !ctx.params.tag) throw faults.invalidParameter('Tag is required for MESSAGE_TAG messaging type');
  const body = ctx.params.message;
  if (!body || typeof body !== 'object') throw faults.invalidParameter('The parameter message is required');
  const hasText = typeof body.text === 'string' && body.text.length > 0;
  if (hasText === Boolean(body.attachment)) throw faults.invalidParameter('Exactly one of message[text] or message[attachment] must be set');
  const instagram = sendTarget.instagramAccountId !== undefined;
  checkQuickReplies(body, instagram);
  if (hasText) {
    if (body.text.length > LIMITS.text) throw faults.invalidParameter(`Length of param message[text] must be less than or equal to ${LIMITS.text}`);
    return {};
  }
  const attachment = body.attachment;
  if (!ATTACHMENT_TYPES.has(attachment.type)) throw faults.invalidParameter(`Param message[attachment][type] must be one of {${[...ATTACHMENT_TYPES].join(', ')}}`);
  if (attachment.type === 'template') {
    checkTemplate(attachment.payload);
    return {};
  }
  return file(ctx, sendTarget, attachment.payload);
}

/** A file by saved id (this Page's, not expired) or by URL, which Meta fetches and may save for reuse. */
async function file(ctx: SandboxContext, sendTarget: SendTarget, payload: Record<string, any> | undefined): Promise<MessageOutcome> {
  const platform = sendTarget.instagramAccountId !== undefined ? 'instagram' : 'messenger';
  const source = fileSource(payload);
  if ('attachmentId' in source) {
    if (!ctx.state.usableAttachment(source.attachmentId, sendTarget.page.id, platform)) throw unknownAttachment();
    return { attachmentId: source.attachmentId };
  }
  const fetched = await fetchAttachment(source.url);
  if (!source.reusable) return { fetched };
  return { fetched, attachmentId: ctx.state.saveAttachment(sendTarget.page.id, platform, fetched).id, saved: true };
}

/** A private reply: `recipient: {comment_id}`, text only; Meta answers who the commenter is. */
function privateReply(ctx: SandboxContext, { page, instagramAccountId }: SendTarget, commentId: string): SandboxReply {
  const body = ctx.params.message;
  if (!body || typeof body.text !== 'string' || body.text === '') throw faults.invalidParameter('A private reply must have message[text]');
  const comment = ctx.state.commentBook.privateReply(page, instagramAccountId, commentId);
  const recipientId = SandboxComments.recipientOf(comment);
  const messageId = newMessageId(instagramAccountId !== undefined);
  comment.privateReply = { messageId, recipientId };
  ctx.state.sentMessages.push({ path: ctx.path, pageId: page.id, instagramAccountId, recipientId, commentId, body: ctx.body, messageId, at: Date.now() });
  return json({ recipient_id: recipientId, message_id: messageId });
}

async function send(ctx: SandboxContext, node: string): Promise<SandboxReply> {
  const to = target(ctx, node);
  const { page, instagramAccountId } = to;
  const commentId = ctx.params.recipient?.comment_id;
  if (typeof commentId === 'string' && commentId) return privateReply(ctx, to, commentId);
  const recipientId = ctx.params.recipient?.id;
  if (typeof recipientId !== 'string' || !recipientId) throw faults.invalidParameter('The parameter recipient is required');
  const record: SentMessage = { path: ctx.path, pageId: page.id, instagramAccountId, recipientId, body: ctx.body, at: Date.now() };
  if (ctx.params.sender_action !== undefined) {
    senderAction(ctx, String(ctx.params.sender_action));
    ctx.state.sentMessages.push(record);
    return json({ recipient_id: recipientId });
  }
  const outcome = await message(ctx, { page, instagramAccountId });
  record.fetched = outcome.fetched;
  record.attachmentId = outcome.attachmentId;
  record.messageId = newMessageId(instagramAccountId !== undefined);
  ctx.state.sentMessages.push(record);
  return json({ recipient_id: recipientId, message_id: record.messageId, ...(outcome.saved ? { attachment_id: outcome.attachmentId } : {}) });
}

/**
 * The Attachment Upload API: `POST /{page-id}/message_attachments` saves a file by URL for later
 * sends (`platform: instagram` for Instagram messages) and answers its `attachment_id`.
 */
async function uploadAttachment(ctx: SandboxContext, pageId: string): Promise<SandboxReply> {
  const page = requirePageToken(ctx, pageId);
  const platform = ctx.params.platform === undefined ? 'messenger' : ctx.params.platform;
  if (platform !== 'messenger' && platform !== 'instagram') throw faults.invalidParameter('Param platform must be one of {messenger, instagram}');
  const attachment = ctx.params.message?.attachment;
  if (!attachment || !['image', 'video', 'audio', 'file'].includes(attachment.type)) throw faults.invalidParameter('Param message[attachment][type] must be one of {image, video, audio, file}');
  const source = fileSource(attachment.payload);
  if ('attachmentId' in source || !source.reusable) throw faults.invalidParameter('An upload needs message[attachment][payload][url] with is_reusable: true');
  const fetched = await fetchAttachment(source.url);
  return json({ attachment_id: ctx.state.saveAttachment(page.id, platform, fetched).id });
}

/** The Send API on `/me/messages`, `/{page-id}/messages` and `/{ig-id}/messages`. */
export const sendRoutes: SandboxRoute[] = [
  { method: 'POST', pattern: /^([^/]+)\/messages$/, handle: (ctx, match) => send(ctx, match[1]) },
  { method: 'POST', pattern: /^([^/]+)\/message_attachments$/, handle: (ctx, match) => uploadAttachment(ctx, match[1]) },
];
