import { endsSession, isDatabaseUnavailable, isStatementRefusal } from './pool-errors';

/** What pg's DatabaseError carries: the server's severity and SQLSTATE. */
const serverError = (code: string, severity = 'ERROR') => Object.assign(new Error(code), { severity, code });

describe('isStatementRefusal', () => {
  it.each([
    ['a trigger that raised', 'P0001'],
    ['a unique violation', '23505'],
    ['bad data', '22P02'],
    ['ON CONFLICT hitting one row twice', '21000'],
    ['a deadlock', '40P01'],
  ])('is true for %s (%s): another statement may succeed', (_, code) => {
    expect(isStatementRefusal(serverError(code))).toBe(true);
  });

  it.each([
    ['an administrator shutdown', '57P01', 'FATAL'],
    ['a server starting up', '57P03', 'FATAL'],
    ['a connection failure', '08006', 'FATAL'],
    ['too many connections', '53300', 'FATAL'],
    ['an I/O error', '58030', 'ERROR'],
  ])('is false for %s (%s): no statement can succeed now', (_, code, severity) => {
    expect(isStatementRefusal(serverError(code, severity))).toBe(false);
  });

  it('is false for a failure without an answer from the server', () => {
    expect(isStatementRefusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isStatementRefusal(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isStatementRefusal(undefined)).toBe(false);
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    ['an administrator shutdown', serverError('57P01', 'FATAL')],
    ['a server starting up', serverError('57P03', 'FATAL')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a connection that ended under a query', new Error('Connection terminated unexpectedly')],
    ['a connection not made in time', new Error('Connection terminated due to connection timeout')],
    ["no pool connection free in time", new Error('timeout exceeded when trying to connect')],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', serverError('23505')],
    ['a bug in our code', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a file error', Object.assign(new Error('no such file'), { code: 'ENOENT' })],
    ['something that is not an error', 'boom'],
  ])('is false for %s: that is not the database being away', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('endsSession', () => {
  it.each([
    ['an administrator shutdown', '57P01', 'FATAL'],
    ['idle too long', '57P05', 'FATAL'],
    ['idle in a transaction too long', '25P03', 'FATAL'],
    ['a connection failure', '08006', 'FATAL'],
    ['any FATAL message, whatever its code', 'XX000', 'FATAL'],
    ['an administrator shutdown from a server speaking another language', '57P01', 'SCHWERWIEGEND'],
  ])('is true for %s (%s): the server closes the connection next', (_, code, severity) => {
    expect(endsSession(serverError(code, severity))).toBe(true);
  });

  it.each([
    ['a statement timeout', '57014'],
    ['a unique violation', '23505'],
    ['a deadlock', '40P01'],
    ['too many connections, answered to a statement', '53300'],
  ])('is false for %s (%s): the connection stays usable', (_, code) => {
    expect(endsSession(serverError(code))).toBe(false);
  });
});
