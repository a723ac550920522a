import { describe, expect, it } from '@jest/globals';
import { assertJsonDepth, JsonTooDeepError } from './json-depth.js';

describe('assertJsonDepth', () => {
  const nested = (levels: number) => Buffer.from('['.repeat(levels) + ']'.repeat(levels));

  it('accepts nesting up to the limit and rejects one level more', () => {
    expect(() => assertJsonDepth(nested(32), 32)).not.toThrow();
    expect(() => assertJsonDepth(nested(33), 32)).toThrow(JsonTooDeepError);
  });

  it('ignores brackets inside strings, including escaped quotes', () => {
    const body = Buffer.from(JSON.stringify({ code: `print("${'['.repeat(100)}\\"{{{")` }));
    expect(() => assertJsonDepth(body, 2)).not.toThrow();
  });

  it('counts objects and arrays alike', () => {
    expect(() => assertJsonDepth(Buffer.from('{"a":[{"b":[1]}]}'), 3)).toThrow(
      'request body must not nest arrays or objects more than 3 levels deep',
    );
  });
});
