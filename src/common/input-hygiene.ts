/**
 * Bounds on what a request may carry, checked without recursion so no input can overflow the
 * stack: Postgres cannot store a NUL character in text or jsonb, and nothing we accept nests
 * anywhere near this deep (Meta's payloads stay under ten levels).
 */
export const MAX_JSON_DEPTH = 64;

export type InputProblem = 'too_deep' | 'nul_character';

export const INPUT_PROBLEM_MESSAGES: Record<InputProblem, string> = {
  too_deep: `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`,
  nul_character: 'Text must not contain NUL (\\u0000) characters',
};

/** The first problem found in these parsed values (body, query, params), or null. */
export function findInputProblem(values: unknown[], maxDepth = MAX_JSON_DEPTH): InputProblem | null {
  const stack: { value: unknown; depth: number }[] = values.map((value) => ({ value, depth: 0 }));
  let nul = false;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) nul = true;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return 'too_deep';
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000')) nul = true;
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  return nul ? 'nul_character' : null;
}

/**
 * A copy with every NUL removed and every string value cut to `maxStringLength`, for input we must
 * keep rather than refuse (Meta's signed deliveries). Call only on values already known to be
 * no deeper than MAX_JSON_DEPTH.
 */
export function sanitized<T>(value: T, maxStringLength: number): T {
  if (typeof value === 'string') {
    const clean = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
    return (clean.length > maxStringLength ? clean.slice(0, maxStringLength) : clean) as T;
  }
  if (Array.isArray(value)) return value.map((item) => sanitized(item, maxStringLength)) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) copy[key.replaceAll('\u0000', '')] = sanitized(child, maxStringLength);
  return copy as T;
}
