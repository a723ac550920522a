import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { CallbackAddressPolicy } from './callback-address-policy.js';
import { callbackUrlProblem, literalAddressOf } from './callback-url.js';
import { CALLBACKS_CONFIG, type CallbacksConfig } from './callbacks.config.js';

/** The signature header: `sha256=` and the hex HMAC-SHA256 of the body with CALLBACK_SECRET. */
export const SIGNATURE_HEADER = 'X-SCE-Signature-256';
/** The delivery's id, the same on every try of one callback (for the receiver's deduplication). */
export const DELIVERY_HEADER = 'X-SCE-Delivery';
export const CALLBACK_USER_AGENT = 'safe-code-executor';

/** Most bytes of a receiver's answer read (then dropped): enough to end the exchange cleanly. */
const MAX_ANSWER_BYTES = 4096;

/**
 * How one try of a callback ended. `retryable`: the receiver or the network may do better
 * later (timeouts, connection errors, 408, 425, 429, 5xx). `permanent`: trying again would
 * end the same way (forbidden address, other 4xx, a redirect, a URL refused).
 */
export type DeliveryResult =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'retryable'; reason: string; status?: number }
  | { outcome: 'permanent'; reason: string; status?: number };

/** Every address of a host name (of one family when `family` is 4 or 6), as dns.lookup finds them. */
export type ResolveAll = (hostName: string, family?: number) => Promise<LookupAddress[]>;

/** Optional injection token replacing the system resolver (for tests). */
export const CALLBACK_RESOLVER = Symbol('CallbackResolver');

const lookupAll = promisify(dnsLookup);
const systemResolver: ResolveAll = (hostName, family) =>
  lookupAll(hostName, { all: true, family: family ?? 0 });

/** The lookup refused every address the name resolved to. */
class ForbiddenAddressError extends Error {}

/** The receiver took longer than CALLBACK_TIMEOUT_MS. */
class CallbackTimeoutError extends Error {}

const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/** The result for a receiver's HTTP status. */
export function resultOfStatus(status: number): DeliveryResult {
  if (status >= 200 && status < 300) return { outcome: 'delivered', status };
  if (status >= 300 && status < 400) {
    return { outcome: 'permanent', status, reason: `HTTP ${status}: redirects are not followed` };
  }
  if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
    return { outcome: 'retryable', status, reason: `HTTP ${status}` };
  }
  return { outcome: 'permanent', status, reason: `HTTP ${status}` };
}

/** `sha256=<hex>`: the HMAC-SHA256 of exactly these bytes with the secret. */
export function signCallbackBody(body: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Sends one try of a callback: a signed POST of the body as JSON, bounded in time and in what
 * it reads back, only to addresses the policy allows.
 *
 * Node's own http/https client is enough, so no client library is added: it follows no
 * redirects, takes a `lookup` function (the one place a name becomes an address, so the
 * address checked is the address connected to: no DNS rebinding between a check and a second
 * resolution), keeps Host and TLS SNI on the name, and `agent: false` gives each try a fresh
 * connection that goes through that lookup.
 */
@Injectable()
export class CallbackSender {
  constructor(
    private readonly policy: CallbackAddressPolicy,
    @Inject(CALLBACKS_CONFIG.token)
    private readonly config: Pick<CallbacksConfig, 'CALLBACK_SECRET' | 'CALLBACK_TIMEOUT_MS'>,
    @Optional() @Inject(CALLBACK_RESOLVER) private readonly resolve: ResolveAll = systemResolver,
  ) {}

  async deliver(
    url: string,
    body: object,
    deliveryId: string,
    signal?: AbortSignal,
  ): Promise<DeliveryResult> {
    if (this.config.CALLBACK_SECRET === '') {
      return { outcome: 'permanent', reason: 'callbacks are off (CALLBACK_SECRET is not set)' };
    }
    const problem = callbackUrlProblem(url, this.policy);
    if (problem !== undefined) return { outcome: 'permanent', reason: `callback URL ${problem}` };
    const target = new URL(url);
    // Serialised once: the bytes signed are the bytes sent.
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const options: RequestOptions = {
      method: 'POST',
      agent: false,
      // A literal address was judged above; Node calls no lookup for one.
      lookup: literalAddressOf(target) === undefined ? this.pinnedLookup() : undefined,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': payload.length,
        'User-Agent': CALLBACK_USER_AGENT,
        [DELIVERY_HEADER]: deliveryId,
        [SIGNATURE_HEADER]: signCallbackBody(payload, this.config.CALLBACK_SECRET),
      },
    };
    try {
      const status = await this.post(target, options, payload, signal);
      return resultOfStatus(status);
    } catch (error) {
      if (error instanceof ForbiddenAddressError) {
        return { outcome: 'permanent', reason: error.message };
      }
      return { outcome: 'retryable', reason: describeFailure(error) };
    }
  }

  /** Resolves the name, drops every address the policy refuses, and hands on only the rest. */
  private pinnedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname, familyNumber(options.family))
        .then((found) => {
          const reasons: string[] = [];
          const allowed = found.filter((entry) => {
            const verdict = this.policy.check(entry.address, hostname);
            if (!verdict.allowed) reasons.push(verdict.reason);
            return verdict.allowed;
          });
          if (allowed.length === 0) {
            const why = reasons.length > 0 ? reasons.join('; ') : 'it resolved to no address';
            callback(new ForbiddenAddressError(`${hostname} is refused: ${why}`), '', 0);
          } else if (options.all) {
            (callback as (error: null, addresses: LookupAddress[]) => void)(null, allowed);
          } else {
            callback(null, allowed[0].address, allowed[0].family);
          }
        })
        .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
    };
  }

  /** One POST; resolves with the status once the answer is read (or capped), within the timeout. */
  private post(
    target: URL,
    options: RequestOptions,
    payload: Buffer,
    signal?: AbortSignal,
  ): Promise<number> {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const request = send(target, { ...options, signal });
      const timer = setTimeout(() => {
        request.destroy(
          new CallbackTimeoutError(`no answer within ${this.config.CALLBACK_TIMEOUT_MS} ms`),
        );
      }, this.config.CALLBACK_TIMEOUT_MS);
      const settle = (action: () => void) => {
        clearTimeout(timer);
        action();
      };
      request.on('error', (error) => settle(() => reject(error)));
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // Enough: the status decides. Drop the connection rather than read a flood.
          if (read > MAX_ANSWER_BYTES) {
            response.destroy();
            settle(() => resolve(status));
          }
        });
        // The status is in; an answer cut short still said it.
        response.on('end', () => settle(() => resolve(status)));
        response.on('close', () => settle(() => resolve(status)));
        response.on('error', (error) => settle(() => reject(error)));
      });
      request.end(payload);
    });
  }
}

function familyNumber(family: number | 'IPv4' | 'IPv6' | undefined): number | undefined {
  if (family === 'IPv4') return 4;
  if (family === 'IPv6') return 6;
  return family;
}

function describeFailure(error: unknown): string {
  if (error instanceof CallbackTimeoutError) return `timed out: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
