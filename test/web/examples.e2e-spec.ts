import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EXAMPLES } from '../../web/examples.js';
import { runProgram } from '../support/run.js';
import { startService, type RunningService } from '../support/service.js';

/**
 * What a visitor types into the examples that ask while they run (the page sends it over the
 * interactive socket; here it goes up front, as POST /run takes it).
 */
const TYPED: Record<string, string> = { interactive: 'Ada\n3\n' };

/** What each example on the page must show a visitor when run as it is. */
const EXPECTED: Record<string, (result: Awaited<ReturnType<typeof runProgram>>) => void> = {
  hello: (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('Hello, world!\n2 + 2 = 4\n');
  },
  stdin: (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('read 3 numbers, sum = 42\n');
  },
  interactive: (r) => {
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('What is your name? Hello, Ada!\nHow far shall I count? 1\n2\n3\n');
  },
  error: (r) => {
    expect(r.status).toBe('runtime_error');
    expect(r.stderr).toContain('ZeroDivisionError');
  },
  'infinite-loop': (r) => {
    expect(r.status).toBe('timeout');
    expect(r.stdout).toBe('spinning...\n');
  },
  'fork-bomb': (r) => {
    // Stopped by the process limit (or, at worst, the time limit): never a success.
    expect(['runtime_error', 'timeout']).toContain(r.status);
    expect(r.stdout).toMatch(/^pid \d+: fork refused \(Resource temporarily unavailable\)$/m);
    expect(r.stderr).not.toContain('SyntaxError');
  },
  'memory-bomb': (r) => {
    expect(r.status).toBe('memory_exceeded');
    expect(r.stdout).toContain('16 MB');
  },
  flood: (r) => {
    expect(r.status).toBe('output_limit_exceeded');
    expect(r.truncated).toBe(true);
  },
};

describe('the example programs of the page', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({ SANDBOX_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('has an expectation for every example', () => {
    expect(EXAMPLES.map((example) => example.id).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(EXAMPLES.map((example) => [example.title, example] as const))(
    '%s does what its title says',
    async (_title, example) => {
      const result = await runProgram(t.url, example.code, example.stdin ?? TYPED[example.id]);
      EXPECTED[example.id](result);
    },
  );
});
