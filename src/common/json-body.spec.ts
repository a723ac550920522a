import { describe, expect, it } from '@jest/globals';
import {
  assertUtf8JsonBody,
  InvalidUtf8Error,
  UnsupportedCharsetError,
  unsupportedCharsetMessage,
} from './json-body.js';
import { JsonTooDeepError } from './json-depth.js';

describe('assertUtf8JsonBody', () => {
  const body = Buffer.from('{"code":"print(\'é\')"}');

  it('accepts valid UTF-8, with or without a byte order mark', () => {
    expect(() => assertUtf8JsonBody(body, 'utf-8')).not.toThrow();
    const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
    expect(() => assertUtf8JsonBody(marked, 'utf-8')).not.toThrow();
  });

  it('refuses every other charset with a 415 naming UTF-8', () => {
    for (const charset of ['utf-7', 'utf-16', 'utf-16le', 'utf-32', 'latin1']) {
      expect(() => assertUtf8JsonBody(body, charset)).toThrow(UnsupportedCharsetError);
    }
    expect(() => assertUtf8JsonBody(body, 'utf-7')).toThrow(
      'unsupported charset "UTF-7": the body must be JSON in UTF-8',
    );
    expect(new UnsupportedCharsetError('utf-16')).toMatchObject({
      status: 415,
      type: 'charset.unsupported',
    });
    expect(unsupportedCharsetMessage('latin1')).toBe(
      'unsupported charset "LATIN1": the body must be JSON in UTF-8',
    );
  });

  it('refuses bytes that are not UTF-8 with a 400', () => {
    const broken = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    expect(() => assertUtf8JsonBody(broken, 'utf-8')).toThrow(InvalidUtf8Error);
    expect(new InvalidUtf8Error()).toMatchObject({ status: 400 });
  });

  it('checks the nesting of the same text', () => {
    const deep = Buffer.from(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`);
    expect(() => assertUtf8JsonBody(deep, 'utf-8')).toThrow(JsonTooDeepError);
  });
});
