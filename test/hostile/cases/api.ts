import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  resultOf,
  type Attack,
  type AttackContext,
  type Exchange,
  type Verdict,
} from '../attack-kit.js';
import type { RunResult } from '../../../src/sandbox/run-result.js';

/**
 * API: hostile requests to POST /run itself (sizes, encodings, types, JSON tricks).
 * Run by test/hostile/api.e2e-spec.ts and by `npm run experiments`.
 */

function api(
  name: string,
  expected: string,
  request: (context: AttackContext) => { body: string | Buffer; headers?: Record<string, string> },
  judge: (exchange: Exchange, verdict: Verdict, context: AttackContext) => void,
): Attack {
  return {
    category: 'api',
    name,
    expected,
    request: (context) => {
      const { body, headers } = request(context);
      return { body, headers: { 'content-type': 'application/json', ...headers } };
    },
    judge,
  };
}

function rejected(status: number, message: string | RegExp) {
  return (exchange: Exchange, verdict: Verdict) => {
    verdict.equal(exchange.status, status, 'HTTP status');
    const body = exchange.json as { statusCode?: number; message?: string; error?: string };
    verdict.equal(body?.statusCode, status, 'statusCode in the body');
    const text = body?.message ?? '';
    verdict.ok(
      typeof message === 'string' ? text === message : message.test(text),
      `message ${String(message)} (got ${JSON.stringify(text)})`,
    );
  };
}

function ranCleanly(expectedStatus: RunResult['status'], output?: string) {
  return (exchange: Exchange, verdict: Verdict) => {
    const result = resultOf(exchange, verdict);
    if (!result) return;
    verdict.equal(result.status, expectedStatus, 'status');
    if (output !== undefined) verdict.equal(result.output, output, 'output');
  };
}

/** Code of exactly `n` code points built from `unit` (itself `unitLength` code points) after a '#'. */
function commentOf(n: number, unit: string, unitLength: number): string {
  const units = Math.floor((n - 1) / unitLength);
  return '#' + unit.repeat(units) + 'x'.repeat(n - 1 - units * unitLength);
}

const CODE_UNITS: [string, string, number][] = [
  ['ASCII', 'a', 1],
  ['2-byte é', 'é', 1],
  ['3-byte 中', '中', 1],
  ['astral 😀', '😀', 1],
  ['combining e + U+0301', 'e\u0301', 2],
  ['lone surrogate', '\ud800', 1],
];

const codeLimit: Attack[] = CODE_UNITS.flatMap(([label, unit, unitLength]) => [
  api(
    `code of exactly the limit, ${label}`,
    'runs (the limit counts Unicode code points)',
    ({ limits }) => ({
      body: JSON.stringify({ code: commentOf(limits.maxCodeLength, unit, unitLength) }),
    }),
    ranCleanly('success', ''),
  ),
  api(
    `code one over the limit, ${label}`,
    '400 naming the limit',
    ({ limits }) => ({
      body: JSON.stringify({ code: commentOf(limits.maxCodeLength + 1, unit, unitLength) }),
    }),
    (exchange, verdict, context) =>
      rejected(
        400,
        `code must be at most ${context.limits.maxCodeLength} characters (got ${context.limits.maxCodeLength + 1})`,
      )(exchange, verdict),
  ),
]);

const PRINT_STDIN = 'import sys\nprint(repr(sys.stdin.read()))';

const PRINT_ONE = '{"code":"print(1)"}';
const TOO_DEEP = 'request body must not nest arrays or objects more than 32 levels deep';
const NOT_UTF8 = 'request body is not valid UTF-8';
const UTF8_ONLY = (charset: string) =>
  `unsupported charset "${charset}": the body must be JSON in UTF-8`;

export const apiAttacks: Attack[] = [
  ...codeLimit,
  api(
    'NUL byte in the code',
    '400: Python 3.11 would silently ignore everything after it',
    () => ({ body: JSON.stringify({ code: 'print("a")\u0000print("b")' }) }),
    rejected(400, 'code must not contain NUL characters (U+0000)'),
  ),
  api(
    'NUL bytes and lone surrogates in stdin',
    'a clean run; the program reads them (a lone surrogate as U+FFFD)',
    () => ({
      body: JSON.stringify({
        code: 'import sys\nprint(ascii(sys.stdin.read()))',
        stdin: 'a\u0000b\ud800c',
      }),
    }),
    ranCleanly('success', "'a\\x00b\\ufffdc'"),
  ),
  api(
    '__proto__ key',
    'ignored: a clean run, the request gets no stdin from it',
    () => ({ body: `{"code":${JSON.stringify(PRINT_STDIN)},"__proto__":{"stdin":"polluted"}}` }),
    ranCleanly('success', "''"),
  ),
  {
    ...api(
      'constructor.prototype key',
      'ignored: later requests get no stdin from it (no prototype pollution)',
      () => ({ body: JSON.stringify({ code: PRINT_STDIN }) }),
      ranCleanly('success', "''"),
    ),
    before: () => ({
      body: `{"code":"print(1)","constructor":{"prototype":{"stdin":"polluted"}},"__proto__":{"__proto__":{"stdin":"polluted"}}}`,
      headers: { 'content-type': 'application/json' },
    }),
  },
  api(
    'code as an object with toString',
    '400: code must be a string',
    () => ({ body: '{"code":{"toString":"print(1)","length":1}}' }),
    rejected(400, 'code must be a string'),
  ),
  ...(
    [
      ['code null', '{"code":null}', 'code must be a string'],
      ['code a number', '{"code":42}', 'code must be a string'],
      ['code an array', '{"code":["print(1)"]}', 'code must be a string'],
      ['code true', '{"code":true}', 'code must be a string'],
      ['stdin null', '{"code":"print(1)","stdin":null}', null],
      ['stdin an array', '{"code":"print(1)","stdin":["a"]}', 'stdin must be a string'],
      ['stdin an object', '{"code":"print(1)","stdin":{"a":1}}', 'stdin must be a string'],
      ['body an array', '[{"code":"print(1)"}]', /code must be a string|array/],
      ['body null', 'null', /code must be a string|JSON/],
      ['body a string', '"print(1)"', /code must be a string|JSON/],
      ['body a number', '42', /code must be a string|JSON/],
    ] as const
  ).map(([name, body, message]) =>
    message === null
      ? api(name, 'runs: a null stdin is no stdin', () => ({ body }), ranCleanly('success', '1'))
      : api(name, '400 naming the field', () => ({ body }), rejected(400, message)),
  ),
  ...(
    [
      ['truncated JSON', '{"code": "print(1)'],
      ['trailing garbage', '{"code": "print(1)"} xyz'],
      ['single quotes', "{'code': 'print(1)'}"],
      ['invalid UTF-8 in the body', Buffer.from([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x22, 0x7d])],
      ['deeply nested arrays', '{"code":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'],
    ] as const
  ).map(([name, body]) =>
    api(
      name,
      '400: not valid JSON, or 400 naming the field',
      () => ({ body }),
      (exchange, v) => {
        v.equal(exchange.status, 400, 'HTTP status');
        const message = (exchange.json as { message?: string } | undefined)?.message ?? '';
        v.ok(
          /JSON|UTF-8|code must be a string|levels deep/.test(message),
          `message (${message.slice(0, 80)})`,
        );
      },
    ),
  ),
  api(
    'text/plain body',
    '400: no JSON body means no code',
    () => ({ body: 'print(1)', headers: { 'content-type': 'text/plain' } }),
    (exchange, verdict) => {
      verdict.oneOf(exchange.status, [400, 415], 'HTTP status');
    },
  ),
  api(
    'unsupported charset',
    '415 unsupported charset',
    () => ({
      body: '{"code":"print(1)"}',
      headers: { 'content-type': 'application/json; charset=latin1' },
    }),
    rejected(415, /charset/),
  ),
  api(
    'body one byte over the limit',
    '413 naming the limit',
    ({ limits }) => ({ body: JSON.stringify({ code: 'x'.repeat(limits.bodyLimitBytes) }) }),
    (exchange, verdict, context) =>
      rejected(413, `request body must be at most ${context.limits.bodyLimitBytes} bytes`)(
        exchange,
        verdict,
      ),
  ),
  ...(['gzip', 'deflate'] as const).map((encoding) =>
    api(
      `${encoding} bomb (64 MB of spaces in a few KB)`,
      '413: the limit applies to the inflated body',
      () => ({ body: compressedBomb(encoding), headers: { 'content-encoding': encoding } }),
      rejected(413, /request body must be at most \d+ bytes/),
    ),
  ),
  api(
    'compressed body within the limit',
    'runs: compression itself is fine',
    () => ({
      body: compress('gzip', JSON.stringify({ code: 'print("zipped")' })),
      headers: { 'content-encoding': 'gzip' },
    }),
    ranCleanly('success', 'zipped'),
  ),
  api(
    'unknown content encoding',
    '415 unsupported content encoding',
    () => ({ body: '{"code":"print(1)"}', headers: { 'content-encoding': 'zstd-evil' } }),
    rejected(415, /encoding/),
  ),
  // JSON is UTF-8 (RFC 8259): any other charset is refused before the body is looked at, so the
  // nesting check and the parser always read the same text.
  api(
    'deep nesting written in UTF-7',
    '415 naming UTF-8 (the nesting check read the raw bytes, the parser UTF-7: a 500)',
    () => ({
      body: `{"code":"print(1)","stdin":${utf7(deepArrays(20_000))}}`,
      headers: { 'content-type': 'application/json; charset=utf-7' },
    }),
    rejected(415, UTF8_ONLY('UTF-7')),
  ),
  api(
    'deep nesting in UTF-7, gzipped',
    '415 naming UTF-8',
    () => ({
      body: gzipSync(`{"code":"print(1)","stdin":${utf7(deepArrays(20_000))}}`),
      headers: { 'content-type': 'application/json; charset=utf-7', 'content-encoding': 'gzip' },
    }),
    rejected(415, UTF8_ONLY('UTF-7')),
  ),
  ...(
    [
      ['utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PRINT_ONE, 'utf16le')])],
      ['utf-16le', Buffer.from(PRINT_ONE, 'utf16le')],
      ['utf-16be', Buffer.from(PRINT_ONE, 'utf16le').swap16()],
      ['utf-32', Buffer.from(PRINT_ONE)],
      ['utf8', Buffer.from(PRINT_ONE)],
      ['iso-8859-1', Buffer.from(PRINT_ONE)],
    ] as const
  ).map(([charset, body]) =>
    api(
      `JSON declared as charset=${charset}`,
      '415 naming UTF-8',
      () => ({ body, headers: { 'content-type': `application/json; charset=${charset}` } }),
      rejected(415, UTF8_ONLY(charset.toUpperCase())),
    ),
  ),
  api(
    'UTF-16 with a byte order mark, no charset',
    '400: not valid UTF-8',
    () => ({ body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PRINT_ONE, 'utf16le')]) }),
    rejected(400, NOT_UTF8),
  ),
  api(
    'invalid UTF-8 inside a string',
    '400: not valid UTF-8 (not run with U+FFFD in its place)',
    () => ({
      body: Buffer.concat([
        Buffer.from('{"code":"print(\''),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('\')"}'),
      ]),
    }),
    rejected(400, NOT_UTF8),
  ),
  ...(['UTF-8', 'utf-8', '"utf-8"'] as const).map((charset) =>
    api(
      `charset=${charset}`,
      'runs: UTF-8 however it is spelled',
      () => ({
        body: PRINT_ONE,
        headers: { 'content-type': `application/json; charset=${charset}` },
      }),
      ranCleanly('success', '1'),
    ),
  ),
  api(
    'UTF-8 with a byte order mark',
    'runs: the mark is not part of the text',
    () => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(PRINT_ONE)]) }),
    ranCleanly('success', '1'),
  ),
  api(
    'deep nesting after a UTF-8 byte order mark',
    '400 naming the nesting limit',
    () => ({
      body: Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`{"code":"print(1)","stdin":${deepArrays(20_000)}}`),
      ]),
    }),
    rejected(400, TOO_DEEP),
  ),
  ...(
    [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const
  ).map(([encoding, squeeze]) =>
    api(
      `deep nesting, Content-Encoding ${encoding}`,
      '400 naming the nesting limit: the check reads the inflated body',
      () => ({
        body: squeeze(Buffer.from(`{"code":"print(1)","stdin":${deepArrays(20_000)}}`)),
        headers: { 'content-encoding': encoding },
      }),
      rejected(400, TOO_DEEP),
    ),
  ),
  api(
    'Content-Encoding gzip on a body that is not gzip',
    '400',
    () => ({ body: PRINT_ONE, headers: { 'content-encoding': 'gzip' } }),
    (exchange, verdict) => verdict.equal(exchange.status, 400, 'HTTP status'),
  ),
  api(
    'Content-Encoding gzip twice',
    '415 unsupported content encoding',
    () => ({ body: gzipSync(gzipSync(PRINT_ONE)), headers: { 'content-encoding': 'gzip, gzip' } }),
    rejected(415, /encoding/),
  ),
];

function compress(encoding: 'gzip' | 'deflate', text: string): Buffer {
  return encoding === 'gzip' ? gzipSync(text) : deflateSync(text);
}

function compressedBomb(encoding: 'gzip' | 'deflate'): Buffer {
  return compress(encoding, `{"code":"print(1)"${' '.repeat(64 * 1024 * 1024)}}`);
}

function deepArrays(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `text` in UTF-7 with every character base64-encoded, as a UTF-7 encoder may write brackets. */
function utf7(text: string): string {
  return `+${Buffer.from(text, 'utf16le').swap16().toString('base64').replace(/=+$/, '')}-`;
}
