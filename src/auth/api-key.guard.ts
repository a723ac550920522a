import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '../common/domain-error.js';
import { ApiKeyRing, presentedKey } from './api-keys.js';

/** When API_KEYS is set, lets a request through only with one of them; otherwise lets all through. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeyRing) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.keys.enabled) return true;
    const key = presentedKey(context.switchToHttp().getRequest<Request>().headers);
    if (key === undefined) {
      throw new DomainError(
        'api_key_missing',
        'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
      );
    }
    if (this.keys.identify(key) === undefined) {
      throw new DomainError('api_key_invalid', 'the API key is not valid');
    }
    return true;
  }
}
