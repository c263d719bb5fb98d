import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { AppConfig } from '../../../config/app-config';
import { Metrics } from '../../../metrics/metrics.service';
import { MetaSandbox } from '../../../sandbox/meta-sandbox';
import { GraphApiClient } from './graph-api.client';
import { GraphBatcher } from './graph-batcher';
import { GraphErrorKind, MetaApiError } from './graph-error';

/** Our Graph client and batcher against the sandbox over HTTP: the batch endpoint as Meta answers it. */
describe('GraphBatcher', () => {
  let sandbox: MetaSandbox;
  let graph: GraphApiClient;
  let page: ReturnType<MetaSandbox['addPage']>;
  let other: ReturnType<MetaSandbox['addPage']>;

  beforeEach(async () => {
    sandbox = await MetaSandbox.start();
    page = sandbox.addPage({ id: '111', name: 'P' });
    other = sandbox.addPage({ id: '222', name: 'Q' });
    const config = Object.assign(new AppConfig(), { metaGraphUrl: sandbox.url, metaGraphVersion: 'v21.0', graphTimeoutMs: 5000 });
    graph = new GraphApiClient(new HttpService(axios.create() as unknown as HttpService['axiosRef']), config, new Metrics());
  });
  afterEach(() => sandbox.stop());

  const credentials = (of = page) => ({ accessToken: of.accessToken, appSecret: sandbox.appSecret });
  const text = (recipient: string, body = `hi ${recipient}`) => ({
    method: 'POST' as const,
    path: 'me/messages',
    body: { recipient: { id: recipient }, messaging_type: 'RESPONSE', message: { text: body } },
  });
  const graphRequests = () => sandbox.requests.filter((r) => !r.path.startsWith('/_sandbox'));
  const batchRequests = () => graphRequests().filter((r) => r.path === '/v21.0/');

  it('sends the calls one token makes in the same turn as one batch request, each answered its own message id', async () => {
    const batcher = new GraphBatcher(graph, 50);
    const answers = await Promise.all(['a', 'b', 'c'].map((psid) => batcher.call<{ message_id: string; recipient_id: string }>(credentials(), text(psid))));

    expect(answers.map((a) => a.recipient_id)).toEqual(['a', 'b', 'c']);
    expect(new Set(answers.map((a) => a.message_id)).size).toBe(3);
    expect(batchRequests()).toHaveLength(1);
    // Each call reached Meta as itself, with the batch's Page token, in order.
    expect(sandbox.sent().map((s) => [s.pageId, s.recipientId, (s.body as { message: { text: string } }).message.text])).toEqual([
      ['111', 'a', 'hi a'],
      ['111', 'b', 'hi b'],
      ['111', 'c', 'hi c'],
    ]);
    expect(graphRequests().filter((r) => r.batched).map((r) => r.path)).toEqual(['/v21.0/me/messages', '/v21.0/me/messages', '/v21.0/me/messages']);
  });

  it('sends a call alone as itself, and each token its own batch', async () => {
    const batcher = new GraphBatcher(graph, 50);
    await batcher.call(credentials(), text('alone'));
    expect(batchRequests()).toHaveLength(0);

    await Promise.all([batcher.call(credentials(), text('a')), batcher.call(credentials(other), text('b')), batcher.call(credentials(other), text('c'))]);
    // Page 111's one call went alone; Page 222's two as a batch.
    expect(batchRequests().map((r) => r.pageId)).toEqual(['222']);
    // The two requests went at once: which Meta took first is not ours to say.
    expect(sandbox.sent().map((s) => [s.pageId, s.recipientId]).sort()).toEqual([
      ['111', 'a'],
      ['111', 'alone'],
      ['222', 'b'],
      ['222', 'c'],
    ]);
  });

  it('fails only the calls Meta refused, each with its own classified error', async () => {
    sandbox.failNext(1, { code: 613, path: /messages$/ });
    const batcher = new GraphBatcher(graph, 50);
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((psid) => batcher.call(credentials(), text(psid))));

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const refused = (outcomes[0] as PromiseRejectedResult).reason as MetaApiError;
    expect(refused).toBeInstanceOf(MetaApiError);
    expect(refused).toMatchObject({ code: 613, kind: GraphErrorKind.RateLimited, transient: true, httpStatus: 400 });
    expect(sandbox.sent().map((s) => s.recipientId)).toEqual(['b', 'c']);
  });

  it('fails every call of a batch that got no answer, as a transient failure', async () => {
    const batcher = new GraphBatcher(graph, 50);
    await sandbox.stop();
    const outcomes = await Promise.allSettled(['a', 'b'].map((psid) => batcher.call(credentials(), text(psid))));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ kind: GraphErrorKind.Transient, httpStatus: null });
    }
    sandbox = await MetaSandbox.start();
  });

  it('never puts more than its size in one request', async () => {
    const batcher = new GraphBatcher(graph, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((psid) => batcher.call(credentials(), text(psid))));
    expect(batchRequests()).toHaveLength(2);
    // The fifth went alone.
    expect(graphRequests().filter((r) => !r.batched && r.path === '/v21.0/me/messages')).toHaveLength(1);
    expect(sandbox.sent().map((s) => s.recipientId)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sends every call alone at size 1', async () => {
    const batcher = new GraphBatcher(graph, 1);
    await Promise.all(['a', 'b'].map((psid) => batcher.call(credentials(), text(psid))));
    expect(batchRequests()).toHaveLength(0);
    expect(sandbox.sent()).toHaveLength(2);
  });
});
