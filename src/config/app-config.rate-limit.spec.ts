import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { InvalidConfigError, loadAppConfig } from './app-config.js';

describe('AppConfig: rate limit, proxies and API keys', () => {
  it('defaults to 30 runs a minute, no trusted proxy and no API keys', () => {
    const config = loadAppConfig({});
    expect(config.RATE_LIMIT).toBe(30);
    expect(config.RATE_LIMIT_WINDOW_MS).toBe(60_000);
    expect(config.TRUST_PROXY).toBe('');
    expect(config.TRUST_PROXY_ADDRESSES).toBe('');
    expect(config.API_KEYS).toBe('');
  });

  it.each(['true', '*'])('refuses TRUST_PROXY=%s', (value) => {
    expect(() => loadAppConfig({ TRUST_PROXY: value })).toThrow(
      /TRUST_PROXY="[^"]+": trusting every proxy/,
    );
  });

  it('accepts a hop count with the proxies\u2019 addresses, or proxy addresses', () => {
    const hops = loadAppConfig({ TRUST_PROXY: '1', TRUST_PROXY_ADDRESSES: '127.0.0.1' });
    expect(hops.TRUST_PROXY).toBe('1');
    expect(hops.TRUST_PROXY_ADDRESSES).toBe('127.0.0.1');
    expect(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8,::1' }).TRUST_PROXY).toBe('10.0.0.0/8,::1');
  });

  it('refuses a hop count without TRUST_PROXY_ADDRESSES, naming the variable', () => {
    expect(() => loadAppConfig({ TRUST_PROXY: '1' })).toThrow(
      /TRUST_PROXY="1": a hop count needs TRUST_PROXY_ADDRESSES/,
    );
  });

  it('refuses TRUST_PROXY_ADDRESSES without a hop count', () => {
    expect(() => loadAppConfig({ TRUST_PROXY_ADDRESSES: '10.0.0.1' })).toThrow(
      /TRUST_PROXY_ADDRESSES="10.0.0.1": has no effect without a hop count in TRUST_PROXY/,
    );
  });

  it('refuses short API keys and never prints them', () => {
    let error: unknown;
    try {
      loadAppConfig({ API_KEYS: 'tooshort' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const message = (error as Error).message;
    expect(message).toContain('API_KEYS=<redacted>: key #1 is 8 characters; use at least 16');
    expect(message).not.toContain('tooshort');
  });

  it('has no test-only switches: fault injection lives in the tests’ harness', () => {
    expect(Object.keys(loadAppConfig({})).filter((key) => key.startsWith('TEST_'))).toEqual([]);
  });
});
