import { GraphApiClient } from './graph-api.client';
import { GRAPH_BATCH_LIMIT, GraphCall, GraphCredentials } from './graph-batch';

interface Waiting {
  call: GraphCall;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Gathering {
  credentials: GraphCredentials;
  waiting: Waiting[];
}

/**
 * Graph calls made with one token in the same turn of the event loop go to Meta as one request
 * (the batch endpoint), up to `maxSize` (at most Meta's 50) calls each; a call alone goes as
 * itself. Nothing waits to gather: the calls a turn makes are those whose time had come together
 * (Send API slots that fell due in one pass of the timers, the sends a worker started together),
 * so a call leaves when it would have left alone, never before. Each call still answers its own
 * value or its own failure, and Meta counts each against the Page's limits as it would alone.
 *
 * Meta may run a batch's calls in any order, so callers that need an order between two calls
 * make the second after the first answered (a conversation's sends go one at a time).
 */
export class GraphBatcher {
  private readonly gathering = new Map<string, Gathering>();
  private readonly maxSize: number;

  constructor(
    private readonly graph: GraphApiClient,
    maxSize: number,
  ) {
    this.maxSize = Math.max(1, Math.min(GRAPH_BATCH_LIMIT, maxSize));
  }

  call<T>(credentials: GraphCredentials, call: GraphCall): Promise<T> {
    if (this.maxSize === 1) return this.alone<T>(credentials, call);
    const key = `${credentials.appSecret ?? ''}\n${credentials.accessToken}`;
    let gathering = this.gathering.get(key);
    if (!gathering) {
      const started: Gathering = { credentials, waiting: [] };
      this.gathering.set(key, (gathering = started));
      setImmediate(() => this.flush(key, started));
    }
    const promise = new Promise<T>((resolve, reject) => gathering.waiting.push({ call, resolve: resolve as (value: unknown) => void, reject }));
    if (gathering.waiting.length >= this.maxSize) this.flush(key, gathering);
    return promise;
  }

  private flush(key: string, gathering: Gathering): void {
    // A full batch already went; its turn's timer finds nothing left.
    if (this.gathering.get(key) !== gathering) return;
    this.gathering.delete(key);
    const { credentials, waiting } = gathering;
    if (waiting.length === 1) {
      const [one] = waiting;
      this.alone(credentials, one.call).then(one.resolve, one.reject);
      return;
    }
    this.graph.batch(credentials, waiting.map(({ call }) => call)).then(
      (answers) => answers.forEach((answer, i) => (answer.ok ? waiting[i].resolve(answer.value) : waiting[i].reject(answer.error))),
      (error) => waiting.forEach(({ reject }) => reject(error)),
    );
  }

  private alone<T>(credentials: GraphCredentials, call: GraphCall): Promise<T> {
    return this.graph.request<T>({ ...call, accessToken: credentials.accessToken, appSecret: credentials.appSecret });
  }
}
