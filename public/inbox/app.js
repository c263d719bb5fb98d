import { ApiError, createApi } from './api.js';
import { $, CHANNEL_LABEL, h, timeOf } from './dom.js';
import { conversationItem, HUMAN_AGENT_DAYS, messageView, windowOf } from './messages.js';
import { connectRealtime } from './realtime.js';

const TOKEN_KEY = 'meta-inbox.token';
const EXPIRED_MESSAGE = 'The Meta connection has expired. Messages cannot be sent until someone reconnects it in Settings > Integrations.';

const state = {
  api: null,
  socket: null,
  session: null,
  channel: '',
  conversations: new Map(),
  conversationsCursor: null,
  listLoad: null,
  liveUpdates: 0,
  lastLiveUpdate: new Map(),
  openId: null,
  messages: new Map(),
  olderCursor: null,
  lastSequence: null,
  expiryTimer: null,
};

// ---- sign in / out --------------------------------------------------------------------------

function tokenFromAddress() {
  const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (!match) return null;
  // The token leaves the address bar (and so history, bookmarks and screen shares) at once.
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

function showSignIn(message = '') {
  state.socket?.close();
  state.socket = null;
  clearTimeout(state.expiryTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  $('#inbox').hidden = true;
  $('#sign-in').hidden = false;
  $('#sign-in-error').textContent = message;
  $('#token-input').focus();
}

async function signIn(token) {
  const api = createApi(token, { onUnauthorized: () => showSignIn('Your session has ended. Sign in with a new token.') });
  let session;
  try {
    session = await api.session();
  } catch (error) {
    showSignIn(error instanceof ApiError && error.status === 401 ? 'That token is not valid, or it has expired.' : `Could not sign in: ${error.message}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  Object.assign(state, { api, session, conversations: new Map(), listLoad: null, liveUpdates: 0, lastLiveUpdate: new Map(), openId: null, messages: new Map(), lastSequence: null });
  $('#sign-in').hidden = true;
  $('#inbox').hidden = false;
  $('#who').textContent = [session.agent ? `Signed in as ${session.agent.name}` : 'Signed in', session.expiresAt ? `until ${timeOf(session.expiresAt)}` : null].filter(Boolean).join(' ');
  if (session.expiresAt) {
    const remaining = new Date(session.expiresAt).getTime() - Date.now();
    state.expiryTimer = setTimeout(() => showSignIn('Your session has ended. Sign in with a new token.'), Math.max(0, remaining));
  }
  showConnection(session.connection);
  renderConversation();
  state.socket = connectRealtime(token, {
    onEvent,
    onStatus: (status) => {
      const live = $('#live');
      live.dataset.state = status;
      live.textContent = status === 'live' ? 'live' : 'reconnecting…';
    },
    onResume: () => void resume(),
    onRefused: () => showSignIn('Your session has ended. Sign in with a new token.'),
  });
  await Promise.all([loadConversations(), detectComments()]);
}

// ---- the Meta connection --------------------------------------------------------------------

function showConnection(connection) {
  state.session.connection = connection;
  const banner = $('#banner');
  if (connection.status === 'expired') {
    banner.textContent = EXPIRED_MESSAGE;
    banner.dataset.kind = 'expired';
    banner.hidden = false;
  } else if (!connection.connected) {
    banner.textContent = 'Meta is not connected: nothing can be received or sent until someone connects a Page in Settings > Integrations.';
    banner.dataset.kind = 'disconnected';
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
  const parts = [];
  if (connection.pageName) parts.push(connection.pageName);
  if (connection.instagramUsername) parts.push(`@${connection.instagramUsername}`);
  $('#connection-info').textContent = parts.join(' · ');
}

// ---- conversations --------------------------------------------------------------------------

/**
 * Loads the list (or its next page). A conversation updated live while the page was on its way
 * keeps its live copy: the service sends each change it commits live, in order, while the page
 * may be a snapshot from before the change. A load overtaken by a newer one is dropped.
 */
async function loadConversations({ more = false } = {}) {
  const load = {};
  state.listLoad = load;
  const since = state.liveUpdates;
  const page = await state.api.conversations(state.channel, more ? state.conversationsCursor : undefined);
  if (state.listLoad !== load) return;
  state.listLoad = null;
  const updatedLive = (id) => (state.lastLiveUpdate.get(id) ?? 0) > since;
  if (!more) state.conversations = new Map([...state.conversations].filter(([id]) => updatedLive(id)));
  for (const conversation of page.data) if (!updatedLive(conversation.id)) state.conversations.set(conversation.id, conversation);
  state.conversationsCursor = page.nextCursor;
  renderConversationList();
}

function renderConversationList() {
  const list = $('#conversation-list');
  const visible = [...state.conversations.values()]
    .filter((c) => !state.channel || c.channel === state.channel)
    .sort((a, b) => (a.lastMessageAt < b.lastMessageAt ? 1 : a.lastMessageAt > b.lastMessageAt ? -1 : a.id < b.id ? 1 : -1));
  list.replaceChildren(...visible.map((c) => conversationItem(c, { selected: c.id === state.openId, onOpen: openConversation })));
  if (!visible.length) list.append(h('li', { class: 'empty muted' }, 'No conversations yet.'));
  $('#more-conversations').hidden = !state.conversationsCursor;
}

/** A conversation as a live event, or an answer of the API, shows it. */
function upsertConversation(conversation) {
  state.liveUpdates += 1;
  state.lastLiveUpdate.set(conversation.id, state.liveUpdates);
  state.conversations.set(conversation.id, conversation);
  renderConversationList();
  if (conversation.id === state.openId) renderConversationHeader();
}

/** A conversation the API answers with; a live update that came while it was on its way is newer, so it stays. */
async function upsertAnswer(id, request) {
  const since = state.liveUpdates;
  const conversation = await request;
  if ((state.lastLiveUpdate.get(id) ?? 0) <= since) upsertConversation(conversation);
}

const fetchConversation = (id) => upsertAnswer(id, state.api.conversation(id));

async function openConversation(id) {
  state.openId = id;
  state.messages = new Map();
  state.olderCursor = null;
  renderConversationList();
  renderConversation();
  const [page] = await Promise.all([state.api.messages(id), fetchConversation(id)]);
  if (state.openId !== id) return;
  // The map was emptied above, so what it holds came live during the fetch and is newer.
  for (const message of page.data) if (!state.messages.has(message.id)) state.messages.set(message.id, message);
  state.olderCursor = page.nextCursor;
  renderConversation();
  renderConversationList();
  scrollToNewest();
  if (state.conversations.get(id)?.unreadCount > 0) await markRead(id);
}

async function loadOlder() {
  const id = state.openId;
  const list = $('#messages');
  const before = list.scrollHeight;
  const page = await state.api.messages(id, state.olderCursor);
  if (state.openId !== id) return;
  for (const message of page.data) state.messages.set(message.id, message);
  state.olderCursor = page.nextCursor;
  renderMessages();
  list.scrollTop += list.scrollHeight - before;
}

let readTimer = null;
function markReadSoon(id) {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => void markRead(id), 300);
}

async function markRead(id) {
  if (document.visibilityState !== 'visible') return;
  await upsertAnswer(id, state.api.markRead(id));
}

// ---- one conversation -----------------------------------------------------------------------

function renderConversation() {
  const main = $('#conversation');
  const conversation = state.conversations.get(state.openId);
  if (!state.openId || !conversation) {
    delete main.dataset.conversationId;
    main.replaceChildren(h('p', { class: 'empty muted' }, state.openId ? 'Loading…' : 'Choose a conversation.'));
    return;
  }
  // Already showing it: refresh in place, so a draft being typed in the compose bar survives.
  if (main.dataset.conversationId !== conversation.id) {
    main.dataset.conversationId = conversation.id;
    main.replaceChildren(
      h('header', { class: 'conversation-header', id: 'conversation-header' }),
      h('ol', { id: 'messages', class: 'messages', 'aria-live': 'polite' }),
      composeView(conversation),
    );
  }
  renderConversationHeader();
  renderMessages();
}

function renderConversationHeader() {
  const header = $('#conversation-header');
  const conversation = state.conversations.get(state.openId);
  if (!header || !conversation) return;
  const window = windowOf(conversation);
  const notes = {
    none: 'The customer has not written yet: Meta lets a Page answer only after they do.',
    open: `Reply window open · ${window.hoursLeft} h left`,
    human_agent: `The 24-hour window has closed. A person can still answer for ${window.daysLeft} more day(s) with the HUMAN_AGENT tag.`,
    closed: `More than ${HUMAN_AGENT_DAYS} days since the customer last wrote: wait for them to write again.`,
  };
  header.replaceChildren(
    h('h2', {}, conversation.contact?.displayName || 'Unknown'),
    h('span', { class: `channel ${conversation.channel}` }, CHANNEL_LABEL[conversation.channel]),
    h('p', { class: 'window', dataset: { window: window.state } }, notes[window.state]),
  );
  const tagOption = $('#human-agent-option');
  if (tagOption) tagOption.hidden = window.state !== 'human_agent';
  const cannotSend = window.state === 'closed' || window.state === 'none';
  for (const control of document.querySelectorAll('#compose textarea, #compose button[type=submit]')) control.disabled = cannotSend;
}

function renderMessages() {
  const list = $('#messages');
  if (!list) return;
  const ordered = [...state.messages.values()].sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : a.id < b.id ? -1 : 1));
  const items = ordered.map((message) => messageView(message, { onReact: react }));
  if (state.olderCursor) items.unshift(h('li', { class: 'older' }, h('button', { type: 'button', class: 'link', onclick: () => void loadOlder() }, 'Older messages')));
  list.replaceChildren(...items);
}

function scrollToNewest() {
  const list = $('#messages');
  if (list) list.scrollTop = list.scrollHeight;
}

/**
 * Socket events arrive in order and always win. A send's HTTP answer may come after the
 * socket already told of a later state (its job ran first), so it only adds what is missing.
 */
function upsertMessage(message, { keepExisting = false } = {}) {
  if (message.conversationId !== state.openId) return;
  if (keepExisting && state.messages.has(message.id)) return;
  const list = $('#messages');
  const atBottom = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  state.messages.set(message.id, message);
  renderMessages();
  if (atBottom) scrollToNewest();
}

async function react(message, on) {
  try {
    upsertMessage(on ? await state.api.react(message.id, 'love') : await state.api.unreact(message.id));
  } catch (error) {
    showComposeError(error);
  }
}

function composeView(conversation) {
  const window = windowOf(conversation);
  const form = h(
    'form',
    { id: 'compose', class: 'compose', onsubmit: (event) => void send(event) },
    h('label', { class: 'option', id: 'human-agent-option', hidden: window.state !== 'human_agent' }, h('input', { type: 'checkbox', name: 'humanAgent' }), ' Send with the HUMAN_AGENT tag (a person answering after 24 h)'),
    h('p', { id: 'compose-error', class: 'error', role: 'alert' }),
    h(
      'div',
      { class: 'compose-row' },
      h('label', { class: 'attach', title: 'Attach files' }, 'Attach', h('input', { type: 'file', name: 'files', multiple: true, onchange: showChosenFiles })),
      h('textarea', { name: 'text', rows: 2, placeholder: `Reply on ${CHANNEL_LABEL[conversation.channel]}…`, disabled: window.state === 'closed' || window.state === 'none', onkeydown: submitOnEnter }),
      h('button', { type: 'submit', disabled: window.state === 'closed' || window.state === 'none' }, 'Send'),
    ),
    h('p', { id: 'chosen-files', class: 'muted' }),
  );
  return form;
}

function submitOnEnter(event) {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
}

function showChosenFiles(event) {
  $('#chosen-files').textContent = [...event.target.files].map((f) => f.name).join(', ');
}

function showComposeError(error) {
  const line = $('#compose-error');
  if (line) line.textContent = error ? error.message : '';
  if (error instanceof ApiError && error.status === 409 && /expired/i.test(error.message)) {
    showConnection({ ...state.session.connection, status: 'expired' });
  }
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  const conversation = state.conversations.get(state.openId);
  const text = form.elements.text.value.trim();
  const files = [...form.elements.files.files];
  if (!text && !files.length) return;
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  showComposeError(null);
  try {
    const attachmentIds = [];
    for (const file of files) attachmentIds.push((await state.api.upload(file)).id);
    const body = { channel: conversation.channel, conversationId: conversation.id };
    if (text) body.text = text;
    if (attachmentIds.length) body.attachmentIds = attachmentIds;
    if (form.elements.humanAgent.checked && windowOf(conversation).state === 'human_agent') Object.assign(body, { messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    const answer = await state.api.send(body);
    for (const message of answer.messages) upsertMessage(message, { keepExisting: true });
    form.reset();
    $('#chosen-files').textContent = '';
    scrollToNewest();
  } catch (error) {
    showComposeError(error);
  } finally {
    button.disabled = false;
  }
}

// ---- comments (when the service has them) ---------------------------------------------------

async function detectComments() {
  try {
    const page = await state.api.comments();
    $('#comments-tab').hidden = false;
    renderComments(page.data);
  } catch (error) {
    // No comments API on this service (404), or not open to this token (403): no tab.
    if (!(error instanceof ApiError && (error.status === 404 || error.status === 403))) throw error;
  }
}

const comments = new Map();
const COMMENT_PLACE = { facebook_messenger: 'Facebook post', instagram_dm: 'Instagram post' };
function renderComments(list = []) {
  for (const comment of list) comments.set(comment.id, comment);
  const ordered = [...comments.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  $('#comment-list').replaceChildren(...ordered.map(commentView));
}

function commentView(comment) {
  const form = h(
    'form',
    {
      class: 'private-reply',
      onsubmit: async (event) => {
        event.preventDefault();
        const text = event.target.elements.text.value.trim();
        if (!text) return;
        try {
          await state.api.privateReply(comment.id, text);
          event.target.replaceWith(h('p', { class: 'muted' }, 'Private reply sent.'));
        } catch (error) {
          event.target.querySelector('.error').textContent = error.message;
        }
      },
    },
    h('input', { name: 'text', placeholder: 'Private reply…' }),
    h('button', { type: 'submit' }, 'Reply privately'),
    h('span', { class: 'error' }),
  );
  return h(
    'li',
    { class: 'comment', dataset: { commentId: comment.id } },
    h('div', {}, h('strong', {}, comment.author?.name || comment.author?.username || 'Someone'), ' ', h('span', { class: `channel ${comment.channel}` }, COMMENT_PLACE[comment.channel] ?? comment.channel)),
    h('p', {}, comment.deletedAt ? '(removed)' : comment.text),
    h('time', { datetime: comment.createdAt, class: 'muted' }, timeOf(comment.createdAt)),
    comment.privateReply ? h('p', { class: 'muted' }, `Private reply: ${comment.privateReply.text ?? ''} (${comment.privateReply.status})`) : form,
  );
}

// ---- live events and resuming ---------------------------------------------------------------

function onEvent(name, record, meta) {
  if (meta && typeof meta.sequence === 'number') state.lastSequence = Math.max(state.lastSequence ?? 0, meta.sequence);
  apply(name, record);
}

function apply(name, record) {
  switch (name) {
    case 'message.created':
    case 'message.updated':
      upsertMessage(record);
      if (name === 'message.created' && record.direction === 'inbound' && record.conversationId === state.openId) markReadSoon(record.conversationId);
      if (!state.conversations.has(record.conversationId)) void fetchConversation(record.conversationId);
      break;
    case 'conversation.updated':
      upsertConversation(record);
      break;
    case 'connection.updated':
      showConnection(record);
      break;
    case 'comment.created':
    case 'comment.updated':
      renderComments([record]);
      break;
  }
}

/** What the log's event types carry, as the socket event that shows it. */
function socketEventOf(type) {
  if (type.startsWith('message.') || type === 'reaction.received') return 'message.updated';
  if (type === 'comment.received') return 'comment.created';
  if (type === 'connection.updated') return 'connection.updated';
  return null;
}

/**
 * After a dropped connection: the events logged since the last one seen (`GET /api/events`),
 * then the list (unread counts have no log events) and the open conversation as they are now.
 */
async function resume() {
  if (state.lastSequence !== null) {
    try {
      let more = true;
      while (more) {
        const page = await state.api.events(state.lastSequence);
        for (const event of page.data) {
          state.lastSequence = Math.max(state.lastSequence, event.sequence);
          const name = socketEventOf(event.type);
          if (name) apply(name, event.data.object);
        }
        more = page.nextCursor !== null && page.data.length > 0;
      }
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) console.warn('catching up failed', error);
    }
  }
  const [session] = await Promise.all([state.api.session(), loadConversations()]);
  showConnection(session.connection);
  if (state.openId) {
    const page = await state.api.messages(state.openId);
    for (const message of page.data) state.messages.set(message.id, message);
    renderMessages();
  }
}

// ---- wiring ---------------------------------------------------------------------------------

function wire() {
  $('#sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('#token-input').value.trim();
    $('#token-input').value = '';
    if (token) void signIn(token);
  });
  $('#sign-out').addEventListener('click', () => showSignIn());
  $('#more-conversations').addEventListener('click', () => void loadConversations({ more: true }));
  for (const button of document.querySelectorAll('.filters button')) {
    button.addEventListener('click', () => {
      state.channel = button.dataset.channel;
      for (const other of document.querySelectorAll('.filters button')) other.setAttribute('aria-pressed', String(other === button));
      void loadConversations();
    });
  }
  for (const tab of document.querySelectorAll('.tabs button')) {
    tab.addEventListener('click', () => {
      for (const other of document.querySelectorAll('.tabs button')) other.setAttribute('aria-selected', String(other === tab));
      $('#conversations-pane').hidden = tab.dataset.view !== 'conversations';
      $('#comments-pane').hidden = tab.dataset.view !== 'comments';
    });
  }
  document.addEventListener('visibilitychange', () => {
    const open = state.conversations.get(state.openId);
    if (open?.unreadCount > 0) void markRead(open.id);
  });
  setInterval(renderConversationHeader, 60_000);
}

wire();
const token = tokenFromAddress() ?? sessionStorage.getItem(TOKEN_KEY);
if (token) void signIn(token);
else showSignIn();
