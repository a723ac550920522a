import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import {
  expressTrustProxy,
  InvalidTrustProxyError,
  parseTrustProxy,
  trustProxyProblems,
  type TrustProxyFunction,
} from './trust-proxy.setting.js';

/** Express's own resolution of req.ip (proxy-addr), so these tests judge what Express will do. */
const proxyaddr = createRequire(import.meta.url)('proxy-addr') as (
  req: unknown,
  trust: TrustProxyFunction | string[],
) => string;

/** req.ip for a request from `peer` carrying `forwardedFor`, under the two settings. */
function clientAddress(
  settings: { TRUST_PROXY: string; TRUST_PROXY_ADDRESSES?: string },
  peer: string,
  forwardedFor?: string,
): string {
  const trust = expressTrustProxy(settings.TRUST_PROXY, settings.TRUST_PROXY_ADDRESSES);
  if (trust === undefined) return peer;
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return proxyaddr({ socket: { remoteAddress: peer }, headers }, trust);
}

describe('parseTrustProxy', () => {
  it('trusts no proxy when unset, empty or 0', () => {
    expect(parseTrustProxy(undefined)).toBeUndefined();
    expect(parseTrustProxy('')).toBeUndefined();
    expect(parseTrustProxy('  ')).toBeUndefined();
    expect(parseTrustProxy('0')).toBeUndefined();
  });

  it('reads a hop count', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('2')).toBe(2);
  });

  it('reads addresses, subnets and named subnets', () => {
    expect(parseTrustProxy('10.0.0.1, 192.168.0.0/16,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['true', 'TRUE', '*', 'all', 'yes'])(
    'refuses %p, which would trust everyone',
    (value) => {
      expect(() => parseTrustProxy(value)).toThrow(InvalidTrustProxyError);
      expect(() => parseTrustProxy(value)).toThrow(/trusting every proxy/);
    },
  );

  it.each(['0.0.0.0/0', '::/0'])('refuses %p, a subnet holding every address', (value) => {
    expect(() => parseTrustProxy(value)).toThrow(/is not an IP address/);
  });

  it.each(['proxy.local', '10.0.0.1/33', '10.0.0.256', '1.2.3.4/x', '1.2.3.4/8/9', ''])(
    'refuses the malformed entry %p',
    (entry) => {
      expect(() => parseTrustProxy(`10.0.0.1,${entry}`)).toThrow(InvalidTrustProxyError);
    },
  );

  it('refuses absurd hop counts', () => {
    expect(() => parseTrustProxy('17')).toThrow(/at most 16/);
  });
});

describe('trustProxyProblems', () => {
  it('accepts no proxy, an address list, or a hop count with the proxies\u2019 addresses', () => {
    expect(trustProxyProblems('', '')).toEqual({});
    expect(trustProxyProblems(undefined, undefined)).toEqual({});
    expect(trustProxyProblems('10.0.0.1,loopback', '')).toEqual({});
    expect(trustProxyProblems('1', '127.0.0.1')).toEqual({});
    expect(trustProxyProblems('2', '172.16.0.0/12, ::1')).toEqual({});
  });

  it('refuses a hop count without the addresses it may come from', () => {
    expect(trustProxyProblems('1', '').TRUST_PROXY).toMatch(
      /^a hop count needs TRUST_PROXY_ADDRESSES.*any client that reaches the port directly could choose its address/,
    );
  });

  it('refuses TRUST_PROXY_ADDRESSES where it would do nothing', () => {
    expect(trustProxyProblems('', '10.0.0.1').TRUST_PROXY_ADDRESSES).toMatch(
      /no effect without a hop count/,
    );
    expect(trustProxyProblems('0', '10.0.0.1').TRUST_PROXY_ADDRESSES).toMatch(
      /no effect without a hop count/,
    );
    expect(trustProxyProblems('10.0.0.2', '10.0.0.1').TRUST_PROXY_ADDRESSES).toMatch(
      /only for a hop count/,
    );
  });

  it.each(['proxy.local', '0.0.0.0/0', '::/0', 'true'])('refuses the proxy address %p', (entry) => {
    expect(trustProxyProblems('1', entry).TRUST_PROXY_ADDRESSES).toMatch(/is not an IP address/);
  });

  it('reports a bad TRUST_PROXY on TRUST_PROXY', () => {
    expect(trustProxyProblems('*', '10.0.0.1')).toEqual({
      TRUST_PROXY: expect.stringMatching(/trusting every proxy/),
    });
  });
});

describe('expressTrustProxy: the client Express sees', () => {
  const oneHop = { TRUST_PROXY: '1', TRUST_PROXY_ADDRESSES: '10.0.0.5' };

  it('a hop count believes the last X-Forwarded-For entry on a connection from the proxy', () => {
    expect(clientAddress(oneHop, '10.0.0.5', '203.0.113.7')).toBe('203.0.113.7');
    // Whatever the client wrote in front of the proxy's entry does not count.
    expect(clientAddress(oneHop, '10.0.0.5', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('a hop count does not let a direct client choose its address', () => {
    for (const forged of ['198.51.100.1', '198.51.100.2', '10.0.0.5', '203.0.113.7, 10.0.0.5']) {
      expect(clientAddress(oneHop, '192.0.2.44', forged)).toBe('192.0.2.44');
    }
    expect(clientAddress(oneHop, '192.0.2.44')).toBe('192.0.2.44');
  });

  it('matches IPv4 proxies connecting over an IPv6 socket (::ffff:a.b.c.d)', () => {
    expect(clientAddress(oneHop, '::ffff:10.0.0.5', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress(oneHop, '::ffff:192.0.2.44', '203.0.113.7')).toBe('::ffff:192.0.2.44');
  });

  it('understands subnets and named subnets', () => {
    const settings = { TRUST_PROXY: '1', TRUST_PROXY_ADDRESSES: '172.16.0.0/12,loopback' };
    expect(clientAddress(settings, '172.18.0.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress(settings, '127.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress(settings, '::1', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress(settings, '172.32.0.1', '203.0.113.7')).toBe('172.32.0.1');
    expect(clientAddress(settings, 'fd00::2', '203.0.113.7')).toBe('fd00::2');
  });

  it('two hops: the peer must be a known proxy, the hop before it is trusted by count', () => {
    const twoHops = { TRUST_PROXY: '2', TRUST_PROXY_ADDRESSES: '10.0.0.5' };
    // client -> CDN edge (198.51.100.9) -> load balancer (10.0.0.5) -> service
    expect(clientAddress(twoHops, '10.0.0.5', '1.2.3.4, 203.0.113.7, 198.51.100.9')).toBe(
      '203.0.113.7',
    );
    expect(clientAddress(twoHops, '192.0.2.44', '203.0.113.7, 198.51.100.9')).toBe('192.0.2.44');
  });

  it('an address list is handed to Express as it is', () => {
    expect(expressTrustProxy('10.0.0.5, loopback', undefined)).toEqual(['10.0.0.5', 'loopback']);
    expect(clientAddress({ TRUST_PROXY: '10.0.0.5' }, '10.0.0.5', '203.0.113.7')).toBe(
      '203.0.113.7',
    );
    expect(clientAddress({ TRUST_PROXY: '10.0.0.5' }, '192.0.2.44', '203.0.113.7')).toBe(
      '192.0.2.44',
    );
  });

  it('trusts nothing when unset, and refuses a hop count without addresses', () => {
    expect(expressTrustProxy('', '')).toBeUndefined();
    expect(() => expressTrustProxy('1', '')).toThrow(InvalidTrustProxyError);
  });
});
