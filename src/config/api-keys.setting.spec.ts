import { describe, expect, it } from '@jest/globals';
import { apiKeyProblems, parseApiKeys } from './api-keys.setting.js';

const KEY_A = 'alpha-0123456789abcdef';
const KEY_B = 'bravo-0123456789abcdef';

describe('API_KEYS', () => {
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
});
