import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { attacksIn } from '../../experiments/attacks.js';
import {
  limitsFrom,
  runAttack,
  type AttackContext,
  type Category,
} from '../../experiments/attack-kit.js';
import { startService, type RunningService } from '../support/service.js';

/**
 * Runs one category of the attack catalogue (experiments/attacks.ts) against the real
 * service on a real engine. After every attack the host is checked, not just the answer:
 * no container of this service left, the service alive, the host's process count back to
 * where it was (within the noise of other work on the machine), and for output floods the
 * service's own memory flat.
 *
 * The runtime comes from the environment (SANDBOX_RUNTIME, DOCKER_HOST), so the same suite
 * runs under runc and under gVisor.
 */

/** Processes other work on this machine may start meanwhile; a leaked fork bomb is 60 or more. */
const PROCESS_NOISE = 40;
/** Growth of the service's resident memory that counts as "flat" across output floods. */
const RSS_NOISE_BYTES = 48 * 1024 * 1024;
/** How long host-side cleanup (container removal, process exit) may take to show. */
const SETTLE_MS = 5000;

export interface HostileSuiteOptions {
  /** Check the service's resident memory after each attack. */
  serviceMemoryFlat?: boolean;
  /** Extra environment for the service. */
  env?: Record<string, string>;
  /** Extra tests with access to the running service. */
  extra?: (service: () => RunningService, context: () => AttackContext) => void;
}

export function hostileSuite(category: Category, options: HostileSuiteOptions = {}): void {
  const attacks = attacksIn(category);

  describe(`hostile programs: ${category} (runtime ${process.env.SANDBOX_RUNTIME || 'runc'})`, () => {
    let t: RunningService;
    let context: AttackContext;
    let baselineRss = 0;

    beforeAll(async () => {
      t = await startService(options.env);
      context = {
        limits: limitsFrom({ ...process.env, ...options.env }),
        servicePort: Number(new URL(t.url).port),
      };
      baselineRss = serviceRssBytes(t);
    });

    afterAll(async () => {
      const leftovers = await t.leftovers();
      expect(await t.stop()).toBe(0);
      expect(leftovers).toEqual([]);
      expect(await t.containers()).toEqual([]); // not even the pool's idle ones
    });

    it('sees this service’s containers on the engine it uses (the leak check can fail)', async () => {
      const running = fetch(`${t.url}/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'import time\ntime.sleep(1.5)' }),
      });
      const seen = await pollUntil(async () => (await t.leftoversNow()).length === 1, SETTLE_MS);
      expect(seen).toBe(true);
      expect((await running).status).toBe(200);
      expect(await t.leftovers()).toEqual([]);
    });

    it.each(attacks.map((attack) => [attack.name, attack] as const))(
      '%s',
      async (_name, attack) => {
        const processesBefore = hostProcessCount();
        const outcome = await runAttack(t.url, attack, context);
        expect(outcome.problems).toEqual([]);

        if (outcome.exchange.status === 0) {
          // The client hung up with the program still running: the service kills it at once,
          // and its container is gone by the time limit at the latest, answer or not.
          const gone = await pollUntil(
            async () => (await t.leftoversNow()).length === 0,
            context.limits.timeoutMs + SETTLE_MS,
          );
          expect(gone).toBe(true);
        }
        expect(await t.leftovers()).toEqual([]);
        const live = await fetch(`${t.url}/health/live`);
        expect(live.status).toBe(200);

        const settled = await pollUntil(
          () => Promise.resolve(hostProcessCount() <= processesBefore + PROCESS_NOISE),
          SETTLE_MS,
        );
        expect({ settled, before: processesBefore, after: hostProcessCount() }).toMatchObject({
          settled: true,
        });
        if (options.serviceMemoryFlat) {
          expect(serviceRssBytes(t)).toBeLessThan(baselineRss + RSS_NOISE_BYTES);
        }
      },
    );

    options.extra?.(
      () => t,
      () => context,
    );
  });
}

/** Processes on the host (numeric entries of /proc). */
export function hostProcessCount(): number {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
}

/** Resident memory of the service process, from /proc/<pid>/status. */
export function serviceRssBytes(t: RunningService): number {
  const status = readFileSync(`/proc/${t.process.pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error('no VmRSS for the service process');
  return Number(kib) * 1024;
}

export async function pollUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}
