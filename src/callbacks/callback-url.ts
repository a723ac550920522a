import { Injectable, Optional } from '@nestjs/common';
import {
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { isIP } from 'node:net';
import { CallbackAddressPolicy } from './callback-address-policy.js';

/** Longest callback URL accepted, in characters. */
export const CALLBACK_URL_MAX_LENGTH = 2048;

/**
 * The address in a URL's host when it is a literal IP address, else undefined. WHATWG URL has
 * already normalised the odd IPv4 spellings (http://2130706433/, http://0x7f000001/,
 * http://127.1/) to dotted quads, and wraps IPv6 in brackets.
 */
export function literalAddressOf(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? undefined : host;
}

/**
 * What is wrong with a callback URL at submission, or undefined: http or https only, no user
 * name or password, at most CALLBACK_URL_MAX_LENGTH characters, a host; a literal IP address
 * must be one the policy allows. A host name is judged when the callback is sent, on the
 * addresses it then resolves to.
 */
export function callbackUrlProblem(
  value: string,
  policy: CallbackAddressPolicy,
): string | undefined {
  if (value.length > CALLBACK_URL_MAX_LENGTH) {
    return `must be at most ${CALLBACK_URL_MAX_LENGTH} characters (got ${value.length})`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must use http or https (got ${url.protocol.replace(/:$/, '')})`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not carry a user name or password';
  }
  if (url.hostname === '') return 'must name a host';
  const address = literalAddressOf(url);
  if (address === undefined) return undefined;
  const verdict = policy.check(address);
  return verdict.allowed ? undefined : `is refused: ${verdict.reason}`;
}

/**
 * The class-validator rule behind @IsCallbackUrl(). Provide it in the module whose container
 * class-validator uses (app.setup.ts), so it sees the configured allow-list; built without one
 * it applies the default policy, which only refuses more.
 */
@ValidatorConstraint({ name: 'callbackUrl' })
@Injectable()
export class CallbackUrlRule implements ValidatorConstraintInterface {
  private readonly policy: CallbackAddressPolicy;

  constructor(@Optional() policy?: CallbackAddressPolicy) {
    this.policy = policy ?? CallbackAddressPolicy.fromAllowedHosts('');
  }

  validate(value: unknown): boolean {
    return typeof value === 'string' && callbackUrlProblem(value, this.policy) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    if (typeof args.value !== 'string') return `${args.property} must be a URL string`;
    return `${args.property} ${callbackUrlProblem(args.value, this.policy) ?? 'is invalid'}`;
  }
}

/** A DTO property holding a callback URL (see callbackUrlProblem). */
export function IsCallbackUrl(): PropertyDecorator {
  return Validate(CallbackUrlRule);
}
