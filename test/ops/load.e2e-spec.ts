import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startService, type RunningService } from '../support/service.js';

const LOAD_SCRIPT = join(import.meta.dirname, '..', '..', 'dist', 'scripts', 'load.js');

/**
 * `npm run load` against a service with the default run bounds (one slot per core, 20 queue
 * places, 10 s wait) and a rate limit of 20 per minute, so all three refusals can show. The
 * load comes from one address, so the per-client cap is lifted to show the service's own
 * bounds (test/ops/fairness.e2e-spec.ts tests the cap).
 */
describe('npm run load: 30 concurrent 5-second loops', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({ RATE_LIMIT: '20', CLIENT_MAX_INFLIGHT: '30' });
  });

  afterAll(async () => {
    expect(await t.stop()).toBe(0);
  });

  it('gets only 200, 429 or 503, stays within the container bound and leaves nothing', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [LOAD_SCRIPT], {
      env: { ...process.env, LOAD_URL: t.url, LOAD_REQUESTS: '30' },
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`load failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    console.log(stdout);
    expect(stdout).toMatch(/^OK$/m);
    const codes = /^codes\s+(.*)$/m.exec(stdout)?.[1] ?? '';
    const counts = Object.fromEntries(
      codes.split(', ').map((entry) => entry.split(': ').map(Number) as [number, number]),
    );
    expect(Object.keys(counts).every((code) => ['200', '429', '503'].includes(code))).toBe(true);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(30);
    expect(counts[200]).toBeGreaterThan(0);
    expect(counts[429]).toBe(10);
    expect(counts[503]).toBeGreaterThan(0);
    const [, peak, bound] = /^peak containers\s+(\d+) \(bound (\d+) = /m.exec(stdout) ?? [];
    expect(Number(peak)).toBeGreaterThan(0);
    expect(Number(peak)).toBeLessThanOrEqual(Number(bound));
    expect(stdout).toMatch(/^left behind\s+0 /m);
    expect(await t.leftovers()).toEqual([]);
  });
});
