import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '../common/domain-error.js';
import { ApiKeyRing, presentedKey } from './api-keys.js';

/** When API_KEYS is set, lets a request through only with one of them; otherwise lets all through. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeyRing) {}

  canActivate(context: ExecutionContext): boolean {
    assertKeyAccepted(
      this.keys,
      presentedKey(context.switchToHttp().getRequest<Request>().headers),
    );
    return true;
  }
}

/**
 * When keys are on, throws unless `key` is one of them (401: missing, or not valid). Shared by
 * the guard and the interactive WebSocket, whose key may come in its first message.
 */
export function assertKeyAccepted(keys: ApiKeyRing, key: string | undefined): void {
  if (!keys.enabled) return;
  if (key === undefined) {
    throw new DomainError(
      'api_key_missing',
      'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
    );
  }
  if (keys.identify(key) === undefined) {
    throw new DomainError('api_key_invalid', 'the API key is not valid');
  }
}
