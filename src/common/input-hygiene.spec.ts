import { findInputProblem, MAX_JSON_DEPTH, sanitized } from './input-hygiene';

describe('input hygiene', () => {
  const nested = (depth: number) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
    return value;
  };

  it('accepts ordinary input', () => {
    expect(findInputProblem([{ text: 'hello', list: [1, 2, { ok: true }] }, { cursor: 'abc' }, {}])).toBeNull();
    expect(findInputProblem([nested(MAX_JSON_DEPTH)])).toBeNull();
  });

  it('finds NUL in values and keys, anywhere', () => {
    expect(findInputProblem([{ a: [{ b: 'x\u0000y' }] }])).toBe('nul_character');
    expect(findInputProblem([{}, { ['k\u0000']: 1 }])).toBe('nul_character');
    expect(findInputProblem(['\u0000'])).toBe('nul_character');
  });

  it('finds nesting past the limit without overflowing the stack, however deep', () => {
    expect(findInputProblem([nested(MAX_JSON_DEPTH + 1)])).toBe('too_deep');
    expect(findInputProblem([JSON.parse('['.repeat(200000) + ']'.repeat(200000))])).toBe('too_deep');
  });

  it('strips NUL and bounds strings in a copy, keys included', () => {
    const input = { text: 'a\u0000b', ['k\u0000']: ['x'.repeat(10)], n: 1, longer_key: null };
    expect(sanitized(input, 5)).toEqual({ text: 'ab', k: ['xxxxx'], n: 1, longer_key: null });
    expect(input.text).toBe('a\u0000b');
  });
});
