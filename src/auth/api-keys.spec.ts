import { describe, expect, it } from '@jest/globals';
import { ApiKeyRing, presentedKey } from './api-keys.js';

const KEY_A = 'alpha-0123456789abcdef';
const KEY_B = 'bravo-0123456789abcdef';

describe('API keys', () => {
  it('finds the key in Authorization: Bearer, else in X-API-Key', () => {
    expect(presentedKey({ authorization: `Bearer ${KEY_A}` })).toBe(KEY_A);
    expect(presentedKey({ authorization: `bearer   ${KEY_A} ` })).toBe(KEY_A);
    expect(presentedKey({ 'x-api-key': KEY_B })).toBe(KEY_B);
    expect(presentedKey({ authorization: `Bearer ${KEY_A}`, 'x-api-key': KEY_B })).toBe(KEY_A);
    expect(presentedKey({ authorization: `Basic ${KEY_A}` })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '  ' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });

  it('identifies each configured key by a stable, non-secret name', () => {
    const ring = new ApiKeyRing([KEY_A, KEY_B]);
    expect(ring.enabled).toBe(true);
    const a = ring.identify(KEY_A);
    const b = ring.identify(KEY_B);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    expect(ring.identify(KEY_A)).toBe(a);
    expect(a).not.toContain(KEY_A);
  });

  it('rejects unknown keys, prefixes and extensions of known keys', () => {
    const ring = new ApiKeyRing([KEY_A]);
    expect(ring.identify(undefined)).toBeUndefined();
    expect(ring.identify('')).toBeUndefined();
    expect(ring.identify(KEY_A.slice(0, -1))).toBeUndefined();
    expect(ring.identify(`${KEY_A}x`)).toBeUndefined();
    expect(ring.identify(KEY_B)).toBeUndefined();
  });

  it('is disabled without keys', () => {
    const ring = new ApiKeyRing([]);
    expect(ring.enabled).toBe(false);
    expect(ring.identify(KEY_A)).toBeUndefined();
  });
});
