import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { assertUnreachable } from './assert-unreachable';
import { isDatabaseUnavailable } from '../database/pool-errors';
import { noteRefusalReason } from '../logging/request-logging';
import { DomainError, DomainErrorCode } from './domain-error';

export function httpStatusOf(code: DomainErrorCode): HttpStatus {
  switch (code) {
    case DomainErrorCode.Unauthorized:
      return HttpStatus.UNAUTHORIZED;
    case DomainErrorCode.NotFound:
      return HttpStatus.NOT_FOUND;
    case DomainErrorCode.ValidationFailed:
    case DomainErrorCode.InvalidOAuthState:
      return HttpStatus.BAD_REQUEST;
    case DomainErrorCode.InvalidSignature:
    case DomainErrorCode.Forbidden:
      return HttpStatus.FORBIDDEN;
    case DomainErrorCode.Conflict:
    case DomainErrorCode.MetaAppNotConfigured:
    case DomainErrorCode.MetaNotConnected:
    case DomainErrorCode.MetaConnectionExpired:
    case DomainErrorCode.InstagramNotLinked:
      return HttpStatus.CONFLICT;
    case DomainErrorCode.ContactHasNoPsid:
    case DomainErrorCode.ContactHasNoIgsid:
    case DomainErrorCode.OutsideMessagingWindow:
    case DomainErrorCode.UnprocessableRequest:
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case DomainErrorCode.PayloadTooLarge:
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case DomainErrorCode.UnsupportedMediaType:
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case DomainErrorCode.UpstreamFailed:
      return HttpStatus.BAD_GATEWAY;
    default:
      return assertUnreachable(code);
  }
}

/** The `error` word of each status we answer with. */
export const HTTP_REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The answer while the database cannot be reached (an outage, a failover): retry the request, a send with the same `Idempotency-Key`. */
export const DATABASE_UNAVAILABLE = 'The database is not available right now; retry shortly';
/** Seconds a client is told to wait before retrying a request the database could not serve. */
const DATABASE_RETRY_AFTER_SECONDS = 1;

/** The one place errors become HTTP answers: `{statusCode, error, message}`. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (isDatabaseUnavailable(exception)) {
      // An outage or a failover, not a bug: the request can be retried once the database is back.
      this.logger.warn(`a request failed with the database away: ${(exception as Error).message}`);
      void reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      return this.answer(reply, 503, DATABASE_UNAVAILABLE);
    }
    const { statusCode, message } = this.describe(exception);
    // Expected answers (HttpException, DomainError) need no stack; anything else is a bug.
    if (statusCode >= 500 && !(exception instanceof HttpException) && !(exception instanceof DomainError)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    this.answer(reply, statusCode, message);
  }

  private answer(reply: FastifyReply, statusCode: number, message: string | string[]): void {
    noteRefusalReason(reply, message);
    void reply.status(statusCode).send({ statusCode, error: HTTP_REASON[statusCode] ?? 'Error', message });
  }

  private describe(exception: unknown): { statusCode: number; message: string | string[] } {
    if (exception instanceof DomainError) {
      return { statusCode: httpStatusOf(exception.code), message: exception.message };
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? (body as { message: string | string[] }).message
          : exception.message;
      return { statusCode: exception.getStatus(), message };
    }
    const fastifyStatus = (exception as { statusCode?: number })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return { statusCode: fastifyStatus, message: (exception as Error).message };
    }
    return { statusCode: 500, message: 'Internal server error' };
  }
}
