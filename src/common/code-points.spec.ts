import { describe, expect, it } from '@jest/globals';
import { codePointLength } from './code-points.js';

describe('codePointLength', () => {
  it('counts what a person calls characters', () => {
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀😀')).toBe(2);
    expect(codePointLength('é')).toBe(1);
    expect(codePointLength('e\u0301')).toBe(2); // combining sequence: two code points
    expect(codePointLength('\ud800')).toBe(1); // a lone surrogate is one code point
  });
});
