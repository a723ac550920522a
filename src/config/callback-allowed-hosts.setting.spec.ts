import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from './app-config.js';
import { parseCallbackAllowedHosts } from './callback-allowed-hosts.setting.js';

describe('CALLBACK_ALLOWED_HOSTS and the other callback settings', () => {
  it('parses names, addresses and CIDR ranges', () => {
    expect(
      parseCallbackAllowedHosts(' Hooks.Internal. , 127.0.0.1,10.0.0.0/8 , ::1,fd00::/8,'),
    ).toEqual({
      names: ['hooks.internal'],
      addresses: ['127.0.0.1', '::1'],
      subnets: [
        { address: '10.0.0.0', prefix: 8 },
        { address: 'fd00::', prefix: 8 },
      ],
    });
    expect(parseCallbackAllowedHosts('')).toEqual({ names: [], addresses: [], subnets: [] });
  });

  it.each([
    ['10.0.0.0/0', /allows every address/],
    ['10.0.0.0/33', /not a CIDR range/],
    ['example.com/8', /not a host name, an IP address or a CIDR range/],
    ['10.0.0.0/8/8', /not a CIDR range/],
    ['*.example.com', /not a host name, an IP address or a CIDR range/],
    ['http://example.com', /not a host name/],
  ])('refuses CALLBACK_ALLOWED_HOSTS=%s at start-up', (value, why) => {
    expect(() => loadAppConfig({ CALLBACK_ALLOWED_HOSTS: value })).toThrow(why);
  });

  it('defaults: callbacks off, 5 s timeout, 5 tries from 1 s', () => {
    const config = loadAppConfig({});
    expect(config.CALLBACK_SECRET).toBe('');
    expect(config.CALLBACK_ALLOWED_HOSTS).toBe('');
    expect(config.CALLBACK_TIMEOUT_MS).toBe(5000);
    expect(config.CALLBACK_MAX_ATTEMPTS).toBe(5);
    expect(config.CALLBACK_BACKOFF_MS).toBe(1000);
  });

  it('refuses a short CALLBACK_SECRET without printing it', () => {
    let message = '';
    try {
      loadAppConfig({ CALLBACK_SECRET: 'short-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/CALLBACK_SECRET=<redacted>: must be at least 16 characters/);
    expect(message).not.toContain('short-secret');
    expect(loadAppConfig({ CALLBACK_SECRET: 'a'.repeat(16) }).CALLBACK_SECRET).toBe('a'.repeat(16));
  });
});
