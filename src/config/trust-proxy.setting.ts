import { BlockList, isIP } from 'node:net';

/**
 * What Express's `trust proxy` setting may be set to from TRUST_PROXY: a number of proxy hops
 * in front of the service, or the addresses/subnets of the proxies to trust. Never `true`:
 * trusting every hop lets any client pick its own address with X-Forwarded-For and so get a
 * fresh rate-limit quota on every request.
 */
export type TrustProxySetting = number | string[];

/**
 * Express's compiled form of `trust proxy` (proxy-addr's): is the address at `hop` a proxy whose
 * X-Forwarded-For entry may be believed? Hop 0 is the socket's peer, hop 1 the last address in
 * X-Forwarded-For, and so on; the client is the first address not trusted.
 */
export type TrustProxyFunction = (address: string | undefined, hop: number) => boolean;

/** Subnet names that proxy-addr (Express) understands, with proxy-addr's definitions. */
const NAMED_SUBNETS: Record<string, string[]> = {
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  loopback: ['127.0.0.0/8', '::1/128'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

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
  return parseProxyAddresses(text);
}

/**
 * Parses TRUST_PROXY_ADDRESSES: where the nearest proxy connects from, for a TRUST_PROXY hop
 * count. Empty or unset: undefined.
 */
export function parseTrustProxyAddresses(value: string | undefined): string[] | undefined {
  const text = value?.trim() ?? '';
  return text === '' ? undefined : parseProxyAddresses(text);
}

function parseProxyAddresses(text: string): string[] {
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!isProxyAddress(entry)) {
      throw new InvalidTrustProxyError(
        `"${entry}" is not an IP address, a CIDR subnet or one of ${Object.keys(NAMED_SUBNETS).join(', ')}`,
      );
    }
  }
  return entries;
}

function isProxyAddress(entry: string): boolean {
  if (entry in NAMED_SUBNETS) return true;
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

/**
 * What is wrong with the pair TRUST_PROXY / TRUST_PROXY_ADDRESSES, by variable (both empty when
 * nothing is). A hop count alone is refused: Express would then believe the last hops of
 * X-Forwarded-For from whoever connects, so a client that reaches the port directly, not
 * through the proxy, could choose its own address.
 */
export function trustProxyProblems(
  trustProxy: string | undefined,
  proxyAddresses: string | undefined,
): { TRUST_PROXY?: string; TRUST_PROXY_ADDRESSES?: string } {
  let setting: TrustProxySetting | undefined;
  let addresses: string[] | undefined;
  try {
    setting = parseTrustProxy(trustProxy);
  } catch (error) {
    if (error instanceof InvalidTrustProxyError) return { TRUST_PROXY: error.message };
    throw error;
  }
  try {
    addresses = parseTrustProxyAddresses(proxyAddresses);
  } catch (error) {
    if (error instanceof InvalidTrustProxyError) return { TRUST_PROXY_ADDRESSES: error.message };
    throw error;
  }
  if (typeof setting === 'number' && addresses === undefined) {
    return {
      TRUST_PROXY:
        'a hop count needs TRUST_PROXY_ADDRESSES, the addresses your nearest proxy connects from ' +
        '(e.g. 127.0.0.1, or a Docker network such as 172.16.0.0/12): otherwise any client that ' +
        'reaches the port directly could choose its address with X-Forwarded-For',
    };
  }
  if (typeof setting !== 'number' && addresses !== undefined) {
    return {
      TRUST_PROXY_ADDRESSES:
        setting === undefined
          ? 'has no effect without a hop count in TRUST_PROXY'
          : 'is only for a hop count; TRUST_PROXY already lists the trusted proxies',
    };
  }
  return {};
}

/** A matcher of addresses against entries that parseProxyAddresses accepted. */
function addressMatcher(entries: string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries.flatMap((item) => NAMED_SUBNETS[item] ?? [item])) {
    const [address, prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  // BlockList also matches IPv4-mapped IPv6 peers (::ffff:a.b.c.d) against IPv4 entries.
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The value for Express's `trust proxy` from the two settings (already validated), or undefined
 * to trust no proxy:
 * - addresses: as they are; Express believes each hop only while it is one of them;
 * - a hop count: a function that believes X-Forwarded-For only on connections whose peer is one
 *   of TRUST_PROXY_ADDRESSES, and then as many hops as the count. A direct client elsewhere is
 *   its socket address, whatever it writes in the header. (Express's own hop count believes
 *   any peer.) Node's BlockList matches the addresses; proxy-addr, which Express uses for the
 *   address form, is only a transitive dependency without types.
 */
export function expressTrustProxy(
  trustProxy: string | undefined,
  proxyAddresses: string | undefined,
): string[] | TrustProxyFunction | undefined {
  const setting = parseTrustProxy(trustProxy);
  if (typeof setting !== 'number') return setting;
  const addresses = parseTrustProxyAddresses(proxyAddresses);
  if (addresses === undefined) {
    throw new InvalidTrustProxyError(trustProxyProblems(trustProxy, proxyAddresses).TRUST_PROXY);
  }
  return trustHops(setting, addressMatcher(addresses));
}

/** Trusts `hops` hops when the first (the socket's peer) is a known proxy; none otherwise. */
export function trustHops(hops: number, isProxy: (address: string) => boolean): TrustProxyFunction {
  return (address, hop) => {
    if (hop >= hops) return false;
    if (hop === 0) return address !== undefined && isProxy(address);
    // Later hops were written by proxies already trusted (Express stops at the first untrusted).
    return true;
  };
}
