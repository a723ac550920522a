import { describe, expect, it } from '@jest/globals';
import { CallbackAddressPolicy } from './callback-address-policy.js';
import { callbackUrlProblem } from './callback-url.js';

const strict = CallbackAddressPolicy.fromAllowedHosts('');

describe('CallbackAddressPolicy: only public unicast by default', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['::1', /loopback/],
    ['::ffff:127.0.0.1', /127\.0\.0\.1 is a loopback/],
    ['::ffff:7f00:1', /127\.0\.0\.1 is a loopback/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /unspecified/],
    ['169.254.169.254', /link-local/],
    ['fe80::1', /link-local/],
    ['fd00::1', /unique-local/],
    ['fc00::1', /unique-local/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.0.1', /private/],
    ['::ffff:192.168.0.1', /192\.168\.0\.1 is a private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['240.0.0.1', /reserved/],
    ['192.0.2.1', /reserved or documentation/],
    ['192.0.0.8', /IETF protocol|reserved/],
    ['198.18.0.1', /reserved/],
    ['2001:db8::1', /documentation|reserved/],
    ['2002:7f00:1::1', /6to4/],
    ['2001:0:4136:e378::1', /Teredo|IETF protocol/],
    ['64:ff9b::7f00:1', /NAT64/],
    ['::7f00:1', /outside the global unicast space/],
    ['fec0::1', /deprecatedSiteLocal/],
    ['100::1', /discard/],
  ])('refuses %s', (address, why) => {
    const verdict = strict.check(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) {
      expect(verdict.reason).toMatch(why);
      expect(verdict.reason).toMatch(/CALLBACK_ALLOWED_HOSTS/);
    }
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2001:4860:4860::8888', '2606:4700::1111'])(
    'allows the public address %s',
    (address) => {
      expect(strict.check(address)).toEqual({ allowed: true });
    },
  );

  it('refuses what is not an IP address', () => {
    expect(strict.check('localhost')).toEqual({
      allowed: false,
      reason: '"localhost" is not an IP address',
    });
    // ipaddr.js would read this as 127.0.0.1; only canonical forms count as addresses here.
    expect(strict.check('2130706433').allowed).toBe(false);
  });

  it('a name does not help unless the operator listed it', () => {
    expect(strict.check('127.0.0.1', 'localhost').allowed).toBe(false);
  });
});

describe('CallbackAddressPolicy: CALLBACK_ALLOWED_HOSTS', () => {
  const policy = CallbackAddressPolicy.fromAllowedHosts(
    'Hooks.Internal., 127.0.0.1, 10.0.0.0/8, fd12:3456::/32, ::ffff:192.168.7.7',
  );

  it('an allowed name allows whatever it resolves to, matched without case or trailing dot', () => {
    expect(policy.check('192.168.1.1', 'hooks.internal')).toEqual({ allowed: true });
    expect(policy.check('169.254.169.254', 'HOOKS.internal.')).toEqual({ allowed: true });
    expect(policy.allowsName('hooks.internal')).toBe(true);
    expect(policy.check('192.168.1.1', 'other.internal').allowed).toBe(false);
  });

  it('an allowed address allows that address only, in either spelling', () => {
    expect(policy.check('127.0.0.1')).toEqual({ allowed: true });
    expect(policy.check('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(policy.check('192.168.7.7')).toEqual({ allowed: true });
    expect(policy.check('127.0.0.2').allowed).toBe(false);
    expect(policy.check('::1').allowed).toBe(false);
  });

  it('an allowed CIDR range allows the addresses in it', () => {
    expect(policy.check('10.200.3.4')).toEqual({ allowed: true });
    expect(policy.check('fd12:3456::9')).toEqual({ allowed: true });
    expect(policy.check('fd12:3457::9').allowed).toBe(false);
    expect(policy.check('172.16.0.1').allowed).toBe(false);
  });
});

describe('callbackUrlProblem', () => {
  it('accepts http and https URLs with a public or named host', () => {
    expect(callbackUrlProblem('https://hooks.example.com/runs?x=1', strict)).toBeUndefined();
    expect(callbackUrlProblem('http://8.8.8.8:8080/cb', strict)).toBeUndefined();
    expect(callbackUrlProblem('http://[2001:4860:4860::8888]/cb', strict)).toBeUndefined();
    // A name is judged when sent, on what it resolves to.
    expect(callbackUrlProblem('http://localhost/', strict)).toBeUndefined();
  });

  it.each([
    ['ftp://example.com/', /must use http or https \(got ftp\)/],
    ['file:///etc/passwd', /must use http or https/],
    ['javascript:alert(1)', /must use http or https/],
    ['/relative/path', /absolute http or https URL/],
    ['not a url', /absolute http or https URL/],
    ['https://user:pw@example.com/', /user name or password/],
    ['https://user@example.com/', /user name or password/],
    [`https://example.com/${'a'.repeat(2048)}`, /at most 2048 characters/],
  ])('refuses %s', (url, why) => {
    expect(callbackUrlProblem(url, strict)).toMatch(why);
  });

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://127.0.0.1./',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
  ])('refuses %s: WHATWG URL normalises it to a loopback address', (url) => {
    expect(callbackUrlProblem(url, strict)).toMatch(/is refused: .*loopback/);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://0.0.0.0:5000/run', /unspecified/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://10.0.0.1/', /private/],
    ['http://0xa9fea9fe/', /169\.254\.169\.254 is a link-local/],
  ])('refuses %s at submission', (url, why) => {
    expect(callbackUrlProblem(url, strict)).toMatch(why);
  });

  it('accepts a literal address the operator allowed', () => {
    const policy = CallbackAddressPolicy.fromAllowedHosts('10.0.0.0/8');
    expect(callbackUrlProblem('http://10.1.2.3:8080/hook', policy)).toBeUndefined();
  });
});
