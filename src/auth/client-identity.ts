import { createParamDecorator, Injectable, type PipeTransform } from '@nestjs/common';
// The throttler's own address grouping, from its plain module: its index loads Nest's
// decorators as CommonJS, which the unit tests (native ESM) cannot.
import { normalizeIp } from '@nestjs/throttler/dist/ip.js';
import type { Request } from 'express';
import { ApiKeyRing, presentedKey } from './api-keys.js';

/**
 * Who a request counts against, for the rate limit and the cap on runs in flight alike:
 * `key:<digest prefix>` for a valid API key, else `ip:<address>` (`req.ip`, which believes
 * X-Forwarded-For only as far as TRUST_PROXY says; IPv6 grouped by /64, since one host
 * usually holds a whole /64). Also a pipe, so the controller gets it through @ClientId().
 */
@Injectable()
export class ClientIdentity implements PipeTransform<Request, string> {
  constructor(private readonly keys: ApiKeyRing) {}

  of(req: Request): string {
    return this.ofParts(presentedKey(req.headers), req.ip ?? req.socket.remoteAddress);
  }

  /**
   * The same, from a presented key and the client's address (as TRUST_PROXY lets it be read):
   * for a WebSocket, whose key may come in its first message.
   */
  ofParts(key: string | undefined, address: string | undefined): string {
    const keyId = this.keys.identify(key);
    if (keyId !== undefined) return `key:${keyId}`;
    return `ip:${normalizeIp(address ?? 'unknown')}`;
  }

  transform(req: Request): string {
    return this.of(req);
  }
}

const HttpRequest = createParamDecorator((_: unknown, context) =>
  context.switchToHttp().getRequest<Request>(),
);

/** The request's client, as ClientIdentity names it. */
export const ClientId = (): ParameterDecorator => HttpRequest(ClientIdentity);
