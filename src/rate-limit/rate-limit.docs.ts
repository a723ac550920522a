import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto.js';

type HeadersObject = NonNullable<NonNullable<Parameters<typeof ApiOkResponse>[0]>['headers']>;

/** The headers every answer of a rate-limited route carries, for the OpenAPI document. */
export const RATE_LIMIT_HEADERS: HeadersObject = {
  'RateLimit-Limit': {
    description: 'Runs allowed per window for this client (RATE_LIMIT).',
    schema: { type: 'integer', example: 30 },
  },
  'RateLimit-Remaining': {
    description: 'Runs left in the current window.',
    schema: { type: 'integer', example: 29 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the window resets.',
    schema: { type: 'integer', example: 60 },
  },
};

/** Documents the 429 of a rate-limited route. */
export function ApiRateLimited(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiTooManyRequestsResponse({
      type: ErrorResponseDto,
      description:
        'The client (its API key, or its address when it has none) ran more than RATE_LIMIT programs (default 30) in RATE_LIMIT_WINDOW_MS (default 60 s), or already has CLIENT_MAX_INFLIGHT programs running or waiting (default 2 per core).',
      headers: {
        ...RATE_LIMIT_HEADERS,
        'Retry-After': {
          description: 'Seconds to wait before the next run is accepted.',
          schema: { type: 'integer', example: 12 },
        },
      },
      example: {
        statusCode: 429,
        message: 'rate limit of 30 runs per 60 s reached; retry in 12 s',
        error: 'Too Many Requests',
      },
    }),
  );
}
