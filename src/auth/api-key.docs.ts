import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto.js';

/** Names of the security schemes declared in the OpenAPI document (see app.setup.ts). */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'api-key';
export const API_KEY_HEADER = 'X-API-Key';

/** Documents that a route takes an API key, in either header, when API_KEYS is set. */
export function ApiKeyAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({
      type: ErrorResponseDto,
      description:
        'Only when the server sets API_KEYS: the request has no API key, or not a valid one.',
      example: {
        statusCode: 401,
        message: 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
        error: 'Unauthorized',
      },
    }),
  );
}
