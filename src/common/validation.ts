import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, DomainErrorCode } from './domain-error';

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {});
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/** The one validation every body and query goes through: unknown fields refused, a 400 listing what is wrong. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new DomainError(DomainErrorCode.ValidationFailed, flatten(errors).join('; ')),
  });
}

/** For a route that reads its body itself (one that also takes multipart): the same checks as the global pipe. */
export async function validatedBody<T extends object>(type: new () => T, body: unknown): Promise<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new DomainError(DomainErrorCode.ValidationFailed, 'The body must be a JSON object');
  return (await validationPipe().transform(body, { type: 'body', metatype: type })) as T;
}
