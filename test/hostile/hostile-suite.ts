import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import {
  attackId,
  limitsFrom,
  runAttack,
  type Attack,
  type AttackContext,
  type Category,
} from './attack-kit.js';
import { startService, type RunningService } from '../support/service.js';
import { until } from '../support/until.js';

/**
 * Runs one category of the attack catalogue (cases/<category>.ts) against the real
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

export function hostileSuite(
  category: Category,
  attacks: readonly Attack[],
  options: HostileSuiteOptions = {},
): void {
  const strays = attacks.filter((attack) => attack.category !== category).map(attackId);
  if (strays.length > 0) throw new Error(`not ${category} attacks: ${strays.join(', ')}`);

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
      const seen = await until(
        'the running program’s container to show',
        () => t.leftoversNow(),
        (containers) => containers.length === 1,
        { withinMs: SETTLE_MS },
      );
      expect(seen).toHaveLength(1);
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
          const left = await until(
            'the hung-up program’s container to go',
            () => t.leftoversNow(),
            (containers) => containers.length === 0,
            { withinMs: context.limits.timeoutMs + SETTLE_MS, onTimeout: 'return-last' },
          );
          expect(left).toEqual([]);
        }
        expect(await t.leftovers()).toEqual([]);
        const live = await fetch(`${t.url}/health/live`);
        expect(live.status).toBe(200);

        const processesAfter = await until(
          `the host's process count back to ${processesBefore} (+${PROCESS_NOISE})`,
          hostProcessCount,
          (count) => count <= processesBefore + PROCESS_NOISE,
          { withinMs: SETTLE_MS, onTimeout: 'return-last' },
        );
        expect(processesAfter).toBeLessThanOrEqual(processesBefore + PROCESS_NOISE);
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
