import { expect, it } from '@jest/globals';
import { runProgram } from '../support/run.js';
import { outputAttacks } from './cases/output.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/output.ts (shared with npm run experiments).
// Floods must cost the service no more than the output limit: its memory stays flat.
hostileSuite('output', outputAttacks, {
  serviceMemoryFlat: true,
  extra: (service) => {
    it('spends no more on a run of 65,000 newlines than on 65,000 letters (no event-loop stall)', async () => {
      const url = service().url;
      const letters = await serviceWorkDuring(
        url,
        'import sys\nsys.stdout.write("a" * 65000 + "x")',
      );
      const newlines = await serviceWorkDuring(
        url,
        'import sys\nsys.stdout.write("\\n" * 65000 + "x")',
      );
      expect(letters.result).toMatchObject({ status: 'success', truncated: false });
      expect(newlines.result).toMatchObject({ status: 'success', truncated: false });
      expect(newlines.result.output).toBe('\n'.repeat(65000) + 'x');
      expect(newlines.liveAnswers).toEqual(newlines.liveAnswers.map(() => 200));
      // The service's own account (its /metrics) of its longest event-loop stall and of its
      // CPU time while each run was answered. A trim that is quadratic in a run of newlines
      // stalls it for seconds here; a linear one costs what the letters cost, give or take the
      // noise of a shared machine.
      expect(newlines.stallSeconds).toBeLessThan(letters.stallSeconds + STALL_NOISE_SECONDS);
      expect(newlines.cpuSeconds).toBeLessThan(letters.cpuSeconds + CPU_NOISE_SECONDS);
    });

    it('decodes stdout and stderr each on its own: a character split across them is not joined', async () => {
      // e2 80 on stdout + ae on stderr would decode, merged, as U+202E (right-to-left override).
      const code = 'import os\nos.write(1, b"\\xe2\\x80")\nos.write(2, b"\\xae")';
      for (let attempt = 0; attempt < 8; attempt++) {
        const result = await runProgram(service().url, code);
        expect(result).toMatchObject({
          status: 'success',
          stdout: '\uFFFD',
          stderr: '\uFFFD',
          output: '\uFFFD\uFFFD',
        });
      }
    });

    it('answers output_limit_exceeded for output past the cap, whether the program exits first or not (4 at once)', async () => {
      const code = 'import sys\nsys.stdout.write("x" * 100000)';
      for (let round = 0; round < 4; round++) {
        const results = await Promise.all([1, 2, 3, 4].map(() => runProgram(service().url, code)));
        for (const result of results) {
          expect(result).toMatchObject({
            status: 'output_limit_exceeded',
            truncated: true,
          });
          // The program's own exit code if it exited before the kill, null if it was killed.
          expect([0, null]).toContain(result.exitCode);
        }
      }
      expect(await service().leftovers()).toEqual([]);
    });
  },
});

/**
 * What one run may cost the service over another for reasons of its own on a busy machine
 * (seen: stalls up to 0.3 s, CPU within 0.02 s, at a load average of 16). The quadratic trim
 * cost 2.6 s of CPU and a 10 s stall there.
 */
const STALL_NOISE_SECONDS = 1;
const CPU_NOISE_SECONDS = 0.5;

interface ServiceWork {
  result: Awaited<ReturnType<typeof runProgram>>;
  /** Longest event-loop delay the service saw while the run was answered. */
  stallSeconds: number;
  /** CPU time (user + system) the service spent meanwhile. */
  cpuSeconds: number;
  /** HTTP status of each /health/live probe sent while the run was answered (0: none). */
  liveAnswers: number[];
}

/**
 * Runs `code` and reads, from the service's own /metrics, what the run cost it: the event-loop
 * delay histogram (prom-client's, reset at each scrape) and the process's CPU seconds.
 */
async function serviceWorkDuring(url: string, code: string): Promise<ServiceWork> {
  const before = await scrape(url);
  const liveAnswers: number[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      // 0 for no answer at all (a stalled service may drop the connection).
      liveAnswers.push(
        await fetch(`${url}/health/live`).then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const result = await runProgram(url, code).finally(() => (running = false));
  await probing;
  const after = await scrape(url);
  return {
    result,
    stallSeconds: after.eventLoopLagMaxSeconds,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    liveAnswers,
  };
}

async function scrape(
  url: string,
): Promise<{ eventLoopLagMaxSeconds: number; cpuSeconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return {
    eventLoopLagMaxSeconds: value('sce_nodejs_eventloop_lag_max_seconds'),
    cpuSeconds: value('sce_process_cpu_seconds_total'),
  };
}
