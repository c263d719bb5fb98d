import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { HTTP_REASON } from './domain-error.filter';

/** Every error answer, whatever the route: `{statusCode, error, message}`. */
export class ErrorBody {
  @ApiProperty({ example: 404 }) statusCode: number;
  @ApiProperty({ example: 'Not Found', description: "The status's reason phrase" }) error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'Conversation not found',
    description: 'What went wrong, in words a person can act on',
  })
  message: string | string[];
}

const DEFAULT_DESCRIPTION: Record<number, string> = {
  400: 'The request is malformed or fails validation; the message names each problem',
  401: 'No valid credential in `Authorization: Bearer …`',
  403: 'Refused',
  404: 'Not found in this organization (also for a malformed id); existence elsewhere is never revealed',
  409: 'Conflicts with the current state',
  413: 'Too large',
  415: 'Unsupported media type',
  422: 'Understood but cannot be done',
  502: 'Meta (the Graph API) failed to answer usefully',
  503: 'Not available right now',
};

type ErrorAnswer = number | [status: number, description: string];

/**
 * Documents the error answers of a route, each with the `ErrorBody` schema:
 * `@ApiErrors(400, [404, 'No such conversation'], 422)`.
 */
export function ApiErrors(...answers: ErrorAnswer[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...answers.map((answer) => {
      const [status, description] = typeof answer === 'number' ? [answer, DEFAULT_DESCRIPTION[answer] ?? HTTP_REASON[answer]] : answer;
      return ApiResponse({ status, description, type: ErrorBody });
    }),
  );
}
