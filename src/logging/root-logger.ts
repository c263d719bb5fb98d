import pino, { Logger as Pino, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

export interface RootLoggerSettings {
  level: string;
  format: LogFormat;
}

/** Query parameters whose values are credentials and never reach a log line. */
const SECRET_PARAMS = /^(access_token|code|state|signature|hub\.verify_token|hub\.challenge|client_secret|fb_exchange_token|appsecret_proof|token)$/i;

export function redactUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('?')) return url;
  const [path, query] = url.split('?', 2);
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) if (SECRET_PARAMS.test(key)) params.set(key, '[redacted]');
  return `${path}?${params.toString()}`;
}

/**
 * The one logger every line goes through, from the first start-up line to the last shutdown
 * line: JSON with an ISO time and the level as a word, or pino-pretty's lines for a terminal.
 */
export function createRootLogger(settings: RootLoggerSettings): Pino {
  const options: LoggerOptions = {
    level: settings.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['accessToken', 'access_token', 'apiKey', 'token', '*.accessToken', '*.access_token', '*.apiKey', '*.token'],
      censor: '[redacted]',
    },
  };
  if (settings.format === 'pretty') {
    return pino(options, pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ fd: 1, sync: true }));
}

/** Before the settings are known (or when they are invalid): the same format, at info. */
export function createBootLogger(env: Record<string, string | undefined> = process.env): Pino {
  return createRootLogger({ level: 'info', format: env.LOG_FORMAT?.toLowerCase() === 'pretty' ? 'pretty' : 'json' });
}
