import { isIP } from 'node:net';

/**
 * What Express's `trust proxy` setting may be set to from TRUST_PROXY: a number of proxy hops
 * in front of the service, or the addresses/subnets of the proxies to trust. Never `true`:
 * trusting every hop lets any client pick its own address with X-Forwarded-For and so get a
 * fresh rate-limit quota on every request.
 */
export type TrustProxySetting = number | string[];

/** Subnet names that proxy-addr (Express) understands. */
const NAMED_SUBNETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

export class InvalidTrustProxyError extends Error {}

/**
 * Parses TRUST_PROXY. Empty or unset means "trust no proxy" (undefined): the client is the
 * socket's peer address. Throws InvalidTrustProxyError naming what is wrong.
 */
export function parseTrustProxy(value: string | undefined): TrustProxySetting | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 16) throw new InvalidTrustProxyError(`at most 16 proxy hops (got ${hops})`);
    return hops === 0 ? undefined : hops;
  }
  if (['true', '*', 'all', 'yes', 'on'].includes(text.toLowerCase())) {
    throw new InvalidTrustProxyError(
      'trusting every proxy would let any client choose its address with X-Forwarded-For; give a hop count or the proxies\u2019 addresses',
    );
  }
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!isProxyAddress(entry)) {
      throw new InvalidTrustProxyError(
        `"${entry}" is not an IP address, a CIDR subnet or one of ${[...NAMED_SUBNETS].join(', ')}`,
      );
    }
  }
  return entries;
}

function isProxyAddress(entry: string): boolean {
  if (NAMED_SUBNETS.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  const bits = Number(prefix);
  // A /0 subnet is "trust everything" in disguise.
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}
