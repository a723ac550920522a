import { describe, expect, it } from '@jest/globals';
import { InvalidTrustProxyError, parseTrustProxy } from './trust-proxy.setting.js';

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
