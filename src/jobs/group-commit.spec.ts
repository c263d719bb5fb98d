import { GroupCommit, GroupCommitOptions } from './group-commit';

/** A statement the test finishes by hand: commit, or fail with an error. */
interface Statement {
  groups: string[][];
  commit(): void;
  fail(error: unknown): void;
}

const refused = Object.assign(new Error('refused by a trigger'), { severity: 'ERROR', code: 'P0001' });
const away = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const isRefusal = (error: unknown) => error === refused;

/** The group commit over a writer whose statements stay in flight until the test settles them. */
function harness(options: Partial<GroupCommitOptions<string>> = {}) {
  const statements: Statement[] = [];
  const commits: number[] = [];
  const gc = new GroupCommit<string>({
    write: (groups) =>
      new Promise<void>((resolve, reject) => {
        statements.push({ groups, commit: resolve, fail: reject });
      }),
    maxItems: 100,
    maxWeight: 1000,
    weigh: (items) => items.join('').length,
    mayBeOneCallers: isRefusal,
    onCommit: (callers) => commits.push(callers),
    ...options,
  });
  return { gc, statements, commits };
}

/** Lets every settled promise's reactions run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records how a caller's promise settles. */
function watch(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const outcome: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  promise.then(
    () => (outcome.state = 'resolved'),
    (error) => Object.assign(outcome, { state: 'rejected', error }),
  );
  return outcome;
}

describe('GroupCommit', () => {
  it('writes a lone caller at once, with no timer, and resolves it only after its statement commits', async () => {
    const { gc, statements } = harness();
    const first = watch(gc.add(['a1', 'a2']));
    await flush();
    expect(statements.map((s) => s.groups)).toEqual([[['a1', 'a2']]]);
    expect(first.state).toBe('pending');
    statements[0].commit();
    await flush();
    expect(first.state).toBe('resolved');
  });

  it('puts every caller that arrives while a statement is in flight into the next statement, in arrival order', async () => {
    const { gc, statements, commits } = harness();
    const first = watch(gc.add(['a']));
    await flush();
    const later = [watch(gc.add(['b'])), watch(gc.add(['c1', 'c2'])), watch(gc.add(['d']))];
    await flush();
    expect(statements).toHaveLength(1);
    statements[0].commit();
    await flush();
    expect(first.state).toBe('resolved');
    expect(later.map((o) => o.state)).toEqual(['pending', 'pending', 'pending']);
    expect(statements[1].groups).toEqual([['b'], ['c1', 'c2'], ['d']]);
    statements[1].commit();
    await flush();
    expect(later.map((o) => o.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(commits).toEqual([1, 3]);
  });

  it('never has two statements in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const gc = new GroupCommit<number>({
      write: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
      },
      maxItems: 4,
      maxWeight: 100,
      weigh: (items) => items.length,
      mayBeOneCallers: () => true,
    });
    await Promise.all(Array.from({ length: 50 }, (_, i) => gc.add([i])));
    expect(most).toBe(1);
  });

  it('caps a statement by items and by weight, and still writes a caller bigger than the cap, alone', async () => {
    const { gc, statements } = harness({ maxItems: 3, maxWeight: 6 });
    void gc.add(['x']);
    await flush();
    const callers = [['a', 'b'], ['c'], ['d'], ['eeeeeeeeee'], ['f']].map((items) => gc.add(items));
    await flush();
    for (let i = 0; i < 4; i++) {
      statements[i].commit();
      await flush();
    }
    expect(statements.map((s) => s.groups)).toEqual([[['x']], [['a', 'b'], ['c']], [['d']], [['eeeeeeeeee']], [['f']]]);
    statements[4].commit();
    await Promise.all(callers);
  });

  it('when a combined statement is refused, writes each caller alone in order, so only the refused caller fails', async () => {
    const { gc, statements, commits } = harness();
    void gc.add(['first']);
    await flush();
    const callers = ['good-1', 'bad', 'good-2'].map((item) => watch(gc.add([item])));
    await flush();
    statements[0].commit();
    await flush();
    statements[1].fail(refused);
    await flush();
    // Alone, one after the other, in arrival order.
    expect(statements[2].groups).toEqual([['good-1']]);
    expect(statements).toHaveLength(3);
    statements[2].commit();
    await flush();
    expect(statements[3].groups).toEqual([['bad']]);
    statements[3].fail(refused);
    await flush();
    expect(statements[4].groups).toEqual([['good-2']]);
    statements[4].commit();
    await flush();
    expect(callers.map((o) => o.state)).toEqual(['resolved', 'rejected', 'resolved']);
    expect(callers[1].error).toBe(refused);
    expect(commits).toEqual([1, 1, 1]);
  });

  it('fails every caller of a statement at once while the database is away, and writes none of them again', async () => {
    const { gc, statements } = harness();
    void gc.add(['first']);
    await flush();
    const callers = ['a', 'b', 'c'].map((item) => watch(gc.add([item])));
    await flush();
    statements[0].commit();
    await flush();
    statements[1].fail(away);
    await flush();
    expect(callers.map((o) => o.state)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(callers.every((o) => o.error === away)).toBe(true);
    expect(statements).toHaveLength(2);
    // The next caller is written again once the database answers.
    const next = watch(gc.add(['d']));
    await flush();
    statements[2].commit();
    await flush();
    expect(next.state).toBe('resolved');
  });

  it('stops writing callers one by one when the database goes away meanwhile, failing the rest', async () => {
    const { gc, statements } = harness();
    void gc.add(['first']);
    await flush();
    const callers = ['a', 'b', 'c'].map((item) => watch(gc.add([item])));
    await flush();
    statements[0].commit();
    await flush();
    statements[1].fail(refused);
    await flush();
    statements[2].fail(away);
    await flush();
    expect(callers.map((o) => o.state)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(callers.map((o) => o.error)).toEqual([away, away, away]);
    expect(statements).toHaveLength(3);
  });

  it('fails only the lone caller of a refused statement, and goes on with the next ones', async () => {
    const { gc, statements } = harness();
    const lone = watch(gc.add(['bad']));
    await flush();
    const next = watch(gc.add(['good']));
    statements[0].fail(refused);
    await flush();
    expect(lone.state).toBe('rejected');
    expect(statements[1].groups).toEqual([['good']]);
    statements[1].commit();
    await flush();
    expect(next.state).toBe('resolved');
  });

  it('treats a writer that throws at once like a failed statement', async () => {
    const gc = new GroupCommit<string>({
      write: () => {
        throw away;
      },
      maxItems: 10,
      maxWeight: 10,
      weigh: () => 1,
      mayBeOneCallers: isRefusal,
    });
    await expect(gc.add(['a'])).rejects.toBe(away);
  });

  it('resolves an empty list at once without writing, and idle() waits for statements in flight', async () => {
    const { gc, statements } = harness();
    await gc.add([]);
    expect(statements).toHaveLength(0);
    const pending = gc.add(['a']);
    let idle = false;
    const waiting = gc.idle().then(() => (idle = true));
    await flush();
    expect(idle).toBe(false);
    statements[0].commit();
    await Promise.all([pending, waiting]);
    expect(idle).toBe(true);
  });
});
