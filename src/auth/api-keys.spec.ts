import { describe, expect, it } from '@jest/globals';
import { apiKeyProblems, ApiKeyRing, parseApiKeys, presentedKey } from './api-keys.js';

const KEY_A = 'alpha-0123456789abcdef';
const KEY_B = 'bravo-0123456789abcdef';

describe('API keys', () => {
  it('parses a comma-separated list, ignoring blanks', () => {
    expect(parseApiKeys(undefined)).toEqual([]);
    expect(parseApiKeys('')).toEqual([]);
    expect(parseApiKeys(` ${KEY_A} ,, ${KEY_B},`)).toEqual([KEY_A, KEY_B]);
  });

  it('refuses short or non-printable keys without echoing them', () => {
    expect(apiKeyProblems([KEY_A])).toEqual([]);
    const problems = apiKeyProblems([KEY_A, 'short-secret', 'has space 0123456789']);
    expect(problems).toEqual([
      'key #2 is 12 characters; use at least 16',
      'key #3 must be printable ASCII without spaces',
    ]);
    expect(problems.join(' ')).not.toContain('short-secret');
  });

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
