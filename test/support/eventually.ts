/** Polls until `read` gives a value `done` accepts, or fails after the deadline. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Like `eventually`, for a probe that answers undefined (or throws, e.g. while a server is
 * still starting) until the condition holds; `what` names it in the timeout error.
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const value = await eventually(
    () => probe().catch(() => undefined),
    (answer) => answer !== undefined,
    timeoutMs,
  ).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });
  return value as T;
}
