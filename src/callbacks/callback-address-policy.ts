import ipaddr from 'ipaddr.js';
import { BlockList, isIP } from 'node:net';
import {
  normalizeHostName,
  parseCallbackAllowedHosts,
  type CallbackAllowList,
} from '../config/callback-allowed-hosts.setting.js';
import { CALLBACKS_CONFIG, type CallbacksConfig } from './callbacks.config.js';

/** Whether a callback may go to an address, and if not, why (for the client and the logs). */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** ipaddr.js's names of the ranges that are not globally routable unicast, in words. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address',
  reserved: 'a reserved or documentation address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  ipv4Mapped: 'an IPv4-mapped address',
  rfc6145: 'an IPv4-translated address (::ffff:0:0:0/96)',
  rfc6052: 'a NAT64 address (64:ff9b::/96)',
  '6to4': 'a 6to4 address (2002::/16)',
  teredo: 'a Teredo address (2001::/32)',
  benchmarking: 'a benchmarking address',
};

/**
 * Special-purpose ranges (IANA's registries) refused whatever ipaddr.js's version calls them:
 * 1.x names fewer ranges than 2.x, and some of these it would call unicast.
 */
const SPECIAL_RANGES: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['192.0.0.0', 24, 'ipv4', 'an IETF protocol address (192.0.0.0/24)'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address (198.18.0.0/15)'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address (240.0.0.0/4)'],
  ['2001::', 23, 'ipv6', 'an IETF protocol address (2001::/23)'],
  ['2001:db8::', 32, 'ipv6', 'a documentation address (2001:db8::/32)'],
  ['2002::', 16, 'ipv6', 'a 6to4 address (2002::/16)'],
  ['3fff::', 20, 'ipv6', 'a documentation address (3fff::/20)'],
];

const SPECIAL = SPECIAL_RANGES.map(([address, prefix, type, words]) => {
  const range = new BlockList();
  range.addSubnet(address, prefix, type);
  return { type, range, words };
});

const GLOBAL_IPV6 = new BlockList();
GLOBAL_IPV6.addSubnet('2000::', 3, 'ipv6');

/**
 * Decides which addresses a callback may be sent to. Only globally routable unicast addresses,
 * unless CALLBACK_ALLOWED_HOSTS allows more: loopback, private, link-local (169.254.169.254,
 * the cloud metadata service), unique-local, unspecified, carrier-grade NAT, multicast,
 * broadcast, reserved, documentation and benchmarking ranges, and the IPv6 forms that carry an
 * IPv4 address (mapped, translated, NAT64, 6to4, Teredo) are refused. Outside 2000::/3 no IPv6
 * address is global unicast today, so everything there is refused as well.
 *
 * The sender asks it about every address a name resolves to, at send time, and connects only
 * to one it allowed (callback-sender.ts).
 */
export class CallbackAddressPolicy {
  private readonly allowedNames: ReadonlySet<string>;
  private readonly allowedAddresses = new BlockList();

  constructor(allowList: CallbackAllowList) {
    this.allowedNames = new Set(allowList.names);
    for (const address of allowList.addresses) {
      const ip = ipaddr.process(address).toString();
      this.allowedAddresses.addAddress(ip, familyOf(ip));
    }
    for (const { address, prefix } of allowList.subnets) {
      this.allowedAddresses.addSubnet(address, prefix, familyOf(address));
    }
  }

  /** The policy of CALLBACK_ALLOWED_HOSTS (already validated at start-up). */
  static fromAllowedHosts(allowedHosts: string): CallbackAddressPolicy {
    return new CallbackAddressPolicy(parseCallbackAllowedHosts(allowedHosts));
  }

  /** Whether the operator allowed this host name (and so whatever it resolves to). */
  allowsName(hostName: string): boolean {
    return this.allowedNames.has(normalizeHostName(hostName));
  }

  /**
   * May a callback connect to `address` (an IP address as DNS or a URL gives it)? `hostName`,
   * when the address came from resolving a name, lets an allowed name allow it.
   */
  check(address: string, hostName?: string): AddressVerdict {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      if (isIP(address) === 0) throw new Error('not an IP address');
      // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into the IPv4 one.
      ip = ipaddr.process(address);
    } catch {
      return { allowed: false, reason: `"${address}" is not an IP address` };
    }
    if (hostName !== undefined && this.allowsName(hostName)) return { allowed: true };
    const text = ip.toString();
    const type = ip.kind() === 'ipv4' ? 'ipv4' : 'ipv6';
    if (this.allowedAddresses.check(text, type)) return { allowed: true };
    const range: string = ip.range();
    if (range !== 'unicast') return refused(text, RANGE_WORDS[range] ?? `in the ${range} range`);
    if (type === 'ipv6' && !GLOBAL_IPV6.check(text, 'ipv6')) {
      return refused(text, 'outside the global unicast space 2000::/3');
    }
    const special = SPECIAL.find((entry) => entry.type === type && entry.range.check(text, type));
    return special ? refused(text, special.words) : { allowed: true };
  }
}

function refused(address: string, what: string): AddressVerdict {
  return {
    allowed: false,
    reason: `${address} is ${what}; callbacks go only to public addresses unless CALLBACK_ALLOWED_HOSTS allows it`,
  };
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** The policy as a Nest provider, from the callbacks' settings. */
export const callbackAddressPolicyProvider = {
  provide: CallbackAddressPolicy,
  inject: [CALLBACKS_CONFIG.token],
  useFactory: (config: CallbacksConfig) =>
    CallbackAddressPolicy.fromAllowedHosts(config.CALLBACK_ALLOWED_HOSTS),
};
