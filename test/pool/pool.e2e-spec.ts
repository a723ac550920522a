import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { metric } from '../support/ops.js';
import { until } from '../support/until.js';
import {
  containersThatRan,
  docker,
  startService,
  type RunningService,
} from '../support/service.js';
import { runProgram } from '../support/run.js';
import { CONTAINER_LABELS, POOL_LABEL_VALUE } from '../../src/sandbox/container-labels.js';

/** Prints the id of the container it runs in and whether an earlier program left a file in /tmp. */
const WHERE_AM_I = [
  'import os, re',
  'mounts = open("/proc/self/mountinfo").read()',
  'container = re.search(r"containers/([0-9a-f]{64})", mounts).group(1)',
  'seen = os.path.exists("/tmp/left-by-an-earlier-program")',
  'open("/tmp/left-by-an-earlier-program", "w").write("secret")',
  'print(container, seen)',
].join('\n');

async function whereAmI(url: string): Promise<{ container: string; sawEarlierFile: boolean }> {
  const result = await runProgram(url, WHERE_AM_I);
  expect(result.status).toBe('success');
  const [container, seen] = result.output.split(' ');
  return { container, sawEarlierFile: seen === 'True' };
}

/**
 * The pool's idle containers: started, labelled, running, and never sent a program (a used one
 * may still run for a moment after the answer, until its removal).
 */
async function idleContainers(t: RunningService): Promise<Docker.ContainerInfo[]> {
  const used = new Set(containersThatRan(t.logs()));
  return (await t.containers()).filter(
    (c) =>
      c.Labels[CONTAINER_LABELS.pool] === POOL_LABEL_VALUE &&
      c.State === 'running' &&
      !used.has(c.Id),
  );
}

function untilIdle(t: RunningService, count: number): Promise<Docker.ContainerInfo[]> {
  return until(
    `${count} idle pool containers`,
    () => idleContainers(t),
    (idle) => idle.length === count,
    { withinMs: 15_000 },
  );
}

const POOL_SIZE = 2;
const TIMEOUT_MS = 1500;

describe('container pool on a real engine', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({
      SANDBOX_POOL_SIZE: String(POOL_SIZE),
      SANDBOX_TIMEOUT_MS: String(TIMEOUT_MS),
    });
  });

  afterAll(async () => {
    if (t.process.exitCode === null) await t.stop();
  });

  it('keeps started containers waiting under the full policy, limits applied from the start', async () => {
    const idle = await untilIdle(t, POOL_SIZE);
    for (const summary of idle) {
      expect(summary.Labels[CONTAINER_LABELS.instance]).toBe(t.instanceId);
      // A waiting container has a bounded life too: past it the reaper removes it (issue 13, 5).
      const lifetime = Number(summary.Labels[CONTAINER_LABELS.maxLifetimeMs]);
      expect(lifetime).toBeGreaterThan(TIMEOUT_MS);
      expect(lifetime).toBeLessThanOrEqual(15 * 60_000);
      const info = await docker.getContainer(summary.Id).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.HostConfig).toMatchObject({
        Memory: 128 * 1024 * 1024,
        MemorySwap: 128 * 1024 * 1024,
        NanoCpus: 500_000_000,
        PidsLimit: 64,
        ReadonlyRootfs: true,
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        // The sandbox's own seccomp profile goes in as text (src/sandbox/seccomp/).
        SecurityOpt: ['no-new-privileges', expect.stringMatching(/^seccomp=\{"defaultAction"/)],
      });
      expect(info.Config.User).toBe('65534:65534');
    }
  });

  it('gives every program a fresh container, taken from the pool, removed after its one use', async () => {
    const idleBefore = (await untilIdle(t, POOL_SIZE)).map((c) => c.Id);
    const used: string[] = [];
    for (let i = 0; i < 2 * POOL_SIZE + 1; i++) {
      const { container, sawEarlierFile } = await whereAmI(t.url);
      expect(sawEarlierFile).toBe(false);
      used.push(container);
    }
    expect(new Set(used).size).toBe(used.length);
    expect(idleBefore).toContain(used[0]); // the first program ran in a container made ahead
    expect(await t.leftovers()).toEqual([]);
    const remaining = (await t.containers()).map((c) => c.Id);
    for (const id of used) expect(remaining).not.toContain(id);
  });

  it('starts the clock when the program starts, not when its container was made', async () => {
    await untilIdle(t, POOL_SIZE);
    await sleep(TIMEOUT_MS + 500); // the idle containers are now older than the time limit
    const result = await runProgram(t.url, 'import time\ntime.sleep(0.3)\nprint("done")');
    expect(result).toMatchObject({ status: 'success', output: 'done', exitCode: 0 });
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS);

    const endless = await runProgram(t.url, 'print("started", flush=True)\nwhile True: pass');
    expect(endless).toMatchObject({ status: 'timeout', output: 'started', exitCode: null });
    expect(endless.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(await t.leftovers()).toEqual([]);
  });

  it('replaces an idle container killed from outside, and the next program still runs', async () => {
    const [victim] = await untilIdle(t, POOL_SIZE);
    const container = docker.getContainer(victim.Id);
    await container.kill({ signal: 'SIGKILL' });
    await container.wait();

    const { container: ranIn } = await whereAmI(t.url);
    expect(ranIn).not.toBe(victim.Id);
    // The dead one is removed, not reused, and the pool is full again.
    expect(await t.leftovers()).toEqual([]);
    const idle = await untilIdle(t, POOL_SIZE);
    expect(idle.map((c) => c.Id)).not.toContain(victim.Id);
  });

  it('reports idle containers, hits, misses and replacements in /metrics', async () => {
    await untilIdle(t, POOL_SIZE);
    const hitsBefore = await metric(t.url, 'sce_pool_hits_total');
    const missesBefore = await metric(t.url, 'sce_pool_misses_total');
    await runProgram(t.url, 'print(1)'); // the pool is full: a hit
    expect(await metric(t.url, 'sce_pool_hits_total')).toBe(hitsBefore + 1);
    expect(await metric(t.url, 'sce_pool_misses_total')).toBe(missesBefore);
    expect(await metric(t.url, 'sce_pool_size')).toBe(POOL_SIZE);
    // The test before this one killed an idle container from outside.
    expect(await metric(t.url, 'sce_pool_discarded_total')).toBeGreaterThanOrEqual(1);
    // The pool refills after the run: its own count of idle containers comes back to the size.
    await until(
      'the pool is full again',
      async () => (await metric(t.url, 'sce_pool_idle_containers')) === POOL_SIZE,
    );
  });

  it('removes its idle containers on shutdown', async () => {
    await untilIdle(t, POOL_SIZE);
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });
});

describe('pool size 0', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({ SANDBOX_POOL_SIZE: '0' });
  });

  afterAll(async () => {
    if (t.process.exitCode === null) await t.stop();
  });

  it('makes a container per program and keeps none waiting', async () => {
    const first = await whereAmI(t.url);
    const second = await whereAmI(t.url);
    expect(first.container).not.toBe(second.container);
    expect(second.sawEarlierFile).toBe(false);
    expect(await t.leftovers()).toEqual([]);
    await sleep(1000); // had a pool been filling, its containers would show by now
    expect(await t.containers()).toEqual([]);
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });
});

describe('results with the pool on and off', () => {
  let on: RunningService;
  let off: RunningService;

  beforeAll(async () => {
    [on, off] = await Promise.all([
      startService({ SANDBOX_POOL_SIZE: '2' }),
      startService({ SANDBOX_POOL_SIZE: '0' }),
    ]);
  });

  afterAll(async () => {
    expect(await on.stop()).toBe(0);
    expect(await off.stop()).toBe(0);
    expect(await on.containers()).toEqual([]);
    expect(await off.containers()).toEqual([]);
  });

  it.each([
    ['output', 'print(2 + 2)', undefined],
    // (apart in time: Docker carries the two streams through separate pipes)
    [
      'stdout and stderr',
      'import sys, time\nprint("out")\ntime.sleep(0.05)\nprint("err", file=sys.stderr)',
      undefined,
    ],
    ['exit code', 'import sys\nprint("bye")\nsys.exit(3)', undefined],
    ['traceback', 'def f():\n    return 1 / 0\nf()', undefined],
    ['syntax error', 'print("unclosed"', undefined],
    ['stdin', 'import sys\nprint(sys.stdin.read()[::-1])', 'abc é'],
    ['unicode', 'print("héllo 😀 你好")', undefined],
    [
      'argv, path and main',
      'import sys\nprint(sys.argv, sys.path[0], __name__, __file__)',
      undefined,
    ],
    [
      'memory limit',
      'blocks = []\nwhile True: blocks.append(bytearray(16 * 1024 * 1024))',
      undefined,
    ],
  ])('are identical for %s', async (_name, code, stdin) => {
    const [a, b] = await Promise.all([
      runProgram(on.url, code, stdin),
      runProgram(off.url, code, stdin),
    ]);
    // What a run used is measured, so it differs from run to run; everything else must not.
    const { durationMs: _a, cpuMs: cpuA, memoryPeakMb: peakA, ...withPool } = a;
    const { durationMs: _b, cpuMs: cpuB, memoryPeakMb: peakB, ...withoutPool } = b;
    expect(withPool).toEqual(withoutPool);
    for (const used of [cpuA, cpuB, peakA, peakB]) expect(typeof used).toBe('number');
    expect(withPool.output.length + withPool.status.length).toBeGreaterThan(0);
  });
});
