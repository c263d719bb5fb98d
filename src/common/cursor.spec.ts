import { DomainError, DomainErrorCode } from './domain-error';
import { decodeCursor, encodeCursor, isUuid } from './cursor';

const ID = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

function expectInvalid(raw: string) {
  try {
    decodeCursor(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(DomainErrorCode.ValidationFailed);
    expect((error as DomainError).message).toContain('cursor');
    return;
  }
  throw new Error(`${raw} was accepted`);
}

describe('cursor codec', () => {
  it('round-trips microsecond timestamps and ids', () => {
    const cursor = { micros: '1718000000123456', id: ID };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('keeps pre-epoch timestamps', () => {
    expect(decodeCursor(encodeCursor({ micros: '-5', id: ID }))).toEqual({ micros: '-5', id: ID });
  });

  it('produces URL-safe text', () => {
    expect(encodeCursor({ micros: '1718000000123456', id: ID })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('normalizes the id to lower case', () => {
    expect(decodeCursor(encodeCursor({ micros: '1', id: ID.toUpperCase() })).id).toBe(ID);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/=='],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ micros: '1', id: ID })).toString('base64url')],
    ['a number timestamp', Buffer.from(JSON.stringify([1, ID])).toString('base64url')],
    ['a non-numeric timestamp', Buffer.from(JSON.stringify(['2024-01-01', ID])).toString('base64url')],
    ['a timestamp too long to be one', Buffer.from(JSON.stringify(['1'.repeat(17), ID])).toString('base64url')],
    ['a non-uuid id', Buffer.from(JSON.stringify(['1', 'x; DROP TABLE'])).toString('base64url')],
    ['three parts', Buffer.from(JSON.stringify(['1', ID, 'x'])).toString('base64url')],
    ['too long', 'A'.repeat(300)],
  ])('rejects %s as a validation error', (_, raw) => expectInvalid(raw));

  it('recognizes uuids', () => {
    expect(isUuid(ID)).toBe(true);
    expect(isUuid('not-a-uuid')).toBe(false);
    expect(isUuid(`${ID}0`)).toBe(false);
  });
});
