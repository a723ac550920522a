import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { RunResult } from '../../src/sandbox/run-result.js';
import { EXAMPLES } from '../../web/examples.js';
import { startService, type RunningService } from '../support/service.js';

/** POSTs a program in a language to /run and expects a 200 with a RunResult. */
async function runProgram(
  url: string,
  language: string,
  code: string,
  stdin?: string,
): Promise<RunResult> {
  const response = await request(url)
    .post('/run')
    .send({ language, code, ...(stdin === undefined ? {} : { stdin }) });
  if (response.status !== 200) {
    throw new Error(`POST /run answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body as RunResult;
}

/** Every example, named `language/id`. */
const ALL = Object.entries(EXAMPLES).flatMap(([language, examples]) =>
  examples.map((example) => ({ name: `${language}/${example.id}`, language, example })),
);

/**
 * What a visitor types into the examples that ask while they run (the page sends it over the
 * interactive socket; here it goes up front, as POST /run takes it).
 */
const TYPED: Record<string, string> = {
  'python/interactive': 'Ada\n3\n',
  'python-scientific/numpy': '1 2 3 4\n',
  'javascript/hello': 'Ada\n',
  'bash/hello': 'Ada\n',
  'c/hello': 'Ada\n',
  'cpp/hello': 'Ada\n',
  'ruby/hello': 'Ada\n',
  'php/hello': 'Ada\n',
};

/** The first example of every language but Python: a name asked for, then a greeting. */
const greets = (r: RunResult) => {
  expect(r.status).toBe('success');
  expect(r.stdout).toBe('What is your name? Hello, Ada!\n');
};

/** What each example on the page must show a visitor when run as it is. */
const EXPECTED: Record<string, (result: RunResult) => void> = {
  'python/hello': (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('Hello, world!\n2 + 2 = 4\n');
  },
  'python/stdin': (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('read 3 numbers, sum = 42\n');
  },
  'python/interactive': (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('What is your name? Hello, Ada!\nHow far shall I count? 1\n2\n3\n');
  },
  'python/csv': (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('wrote out/table.csv\n');
    const rows = [['n', 'square', 'cube'], ...[1, 2, 3, 4, 5].map((n) => [n, n ** 2, n ** 3])];
    const table = rows.map((row) => `${row.join(',')}\r\n`).join('');
    expect(r.files).toEqual([
      { name: 'table.csv', size: table.length, encoding: 'utf8', content: table },
    ]);
    expect(r.filesTruncated).toBe(false);
  },
  'python/error': (r) => {
    expect(r.status).toBe('runtime_error');
    expect(r.stderr).toContain('ZeroDivisionError');
  },
  'python/infinite-loop': (r) => {
    expect(r.status).toBe('timeout');
    expect(r.stdout).toBe('spinning...\n');
  },
  'python/fork-bomb': (r) => {
    // Stopped by the process limit (or, at worst, the time limit): never a success.
    expect(['runtime_error', 'timeout']).toContain(r.status);
    expect(r.stdout).toMatch(/^pid \d+: fork refused \(Resource temporarily unavailable\)$/m);
    expect(r.stderr).not.toContain('SyntaxError');
  },
  'python/memory-bomb': (r) => {
    expect(r.status).toBe('memory_exceeded');
    expect(r.stdout).toContain('16 MB');
  },
  'python/flood': (r) => {
    expect(r.status).toBe('output_limit_exceeded');
    expect(r.truncated).toBe(true);
  },
  'python-scientific/numpy': (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('Numbers, separated by spaces? mean 2.5, standard deviation 1.11803\n');
  },
  'python-scientific/plot': (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('saved out/plot.png\n');
    expect(r.files?.map(({ name, encoding }) => ({ name, encoding }))).toEqual([
      { name: 'plot.png', encoding: 'base64' },
    ]);
    const png = Buffer.from(r.files![0].content, 'base64');
    expect(png.length).toBe(r.files![0].size);
    // A PNG's signature, then its header chunk: 600 x 350 pixels (6 x 3.5 inches at 100 dpi).
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([600, 350]);
    expect(r.filesTruncated).toBe(false);
  },
  'javascript/hello': greets,
  'javascript/error': (r) => {
    expect(r.status).toBe('runtime_error');
    expect(r.stdout).toBe('about to read a property of undefined\n');
    expect(r.stderr).toContain('TypeError');
  },
  'bash/hello': greets,
  'c/hello': greets,
  'c/compile-error': (r) => {
    expect(r.status).toBe('compile_error');
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/main\.c:5:\d+: error: expected .;. before .return./);
  },
  'cpp/hello': greets,
  'cpp/compile-error': (r) => {
    expect(r.status).toBe('compile_error');
    expect(r.stderr).toMatch(/main\.cpp:5:\d+: error: conversion from/);
  },
  'ruby/hello': greets,
  'php/hello': greets,
};

describe('the example programs of the page', () => {
  let t: RunningService;

  beforeAll(async () => {
    // Short enough for the infinite loop, long enough for numpy's import on a busy machine.
    t = await startService({ SANDBOX_TIMEOUT_MS: '4000' });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('has an expectation for every example', () => {
    expect(ALL.map(({ name }) => name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(
    ALL.map(({ name, language, example }) => [name, example.title, language, example] as const),
  )('%s (%s) does what its title says', async (name, _title, language, example) => {
    const result = await runProgram(t.url, language, example.code, example.stdin ?? TYPED[name]);
    EXPECTED[name](result);
  });
});
