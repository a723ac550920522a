import { isIP } from 'node:net';

/** CALLBACK_ALLOWED_HOSTS: how the setting is read and checked. Its use is callbacks/'s. */

/** What the operator allows callbacks to reach beyond the public internet. */
export interface CallbackAllowList {
  /** Host names (lower case, no trailing dot): whatever they resolve to is allowed. */
  readonly names: readonly string[];
  /** Single addresses, as written. */
  readonly addresses: readonly string[];
  /** CIDR ranges. */
  readonly subnets: readonly { readonly address: string; readonly prefix: number }[];
}

export class InvalidCallbackAllowListError extends Error {}

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/** A host name as a URL carries it, for comparing: lower case, one trailing dot dropped. */
export function normalizeHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Parses CALLBACK_ALLOWED_HOSTS: comma-separated host names, IP addresses and CIDR ranges
 * (blanks around commas ignored). Empty or unset: nothing beyond the public internet.
 * Throws InvalidCallbackAllowListError naming the first bad entry.
 */
export function parseCallbackAllowedHosts(value: string | undefined): CallbackAllowList {
  const names: string[] = [];
  const addresses: string[] = [];
  const subnets: { address: string; prefix: number }[] = [];
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (prefix !== undefined && family !== 0) {
      const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (rest.length > 0 || !(bits <= (family === 4 ? 32 : 128))) {
        throw new InvalidCallbackAllowListError(`"${entry}" is not a CIDR range`);
      }
      // A /0 is "allow everything" in disguise: the protection would be gone without a word.
      if (bits === 0) {
        throw new InvalidCallbackAllowListError(
          `"${entry}" allows every address; list the ranges callbacks may reach`,
        );
      }
      subnets.push({ address, prefix: bits });
    } else if (family !== 0) {
      addresses.push(address);
    } else if (HOST_NAME.test(normalizeHostName(entry))) {
      names.push(normalizeHostName(entry));
    } else {
      throw new InvalidCallbackAllowListError(
        `"${entry}" is not a host name, an IP address or a CIDR range`,
      );
    }
  }
  return { names, addresses, subnets };
}

/** What is wrong with CALLBACK_ALLOWED_HOSTS, for the start-up check; undefined when nothing. */
export function callbackAllowedHostsProblem(value: string | undefined): string | undefined {
  try {
    parseCallbackAllowedHosts(value);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidCallbackAllowListError) return error.message;
    throw error;
  }
}
