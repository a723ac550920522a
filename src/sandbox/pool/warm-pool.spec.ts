import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeEngine } from '../../../test/support/fake-engine.js';
import { sandboxFixture, type SandboxFixture } from '../../../test/support/sandbox-fixture.js';
import { until } from '../../../test/support/until.js';

/** Background work here takes milliseconds: poll often, give up soon. */
const SOON = { everyMs: 2, withinMs: 2000 };
import { CONTAINER_LABELS } from '../container-labels.js';
import { containerSpec } from '../sandbox-policy.js';
import { EngineUnavailableError } from '../sandbox.errors.js';
import type { ReadyContainer } from './ready-container.js';

const POOL = CONTAINER_LABELS.pool;

describe('WarmPool and ContainerDisposer', () => {
  const fixtures: SandboxFixture[] = [];
  let disposer: SandboxFixture['disposer'];
  let ON_DEMAND: ReturnType<typeof containerSpec>;
  /** The pool of a fresh sandbox fixture; `disposer` and ON_DEMAND are that fixture's. */
  function poolOf(engine: FakeEngine, size: number): SandboxFixture['pool'] {
    const fixture = sandboxFixture(engine, { SANDBOX_POOL_SIZE: String(size) });
    fixtures.push(fixture);
    disposer = fixture.disposer;
    ON_DEMAND = containerSpec(fixture.policy, { labels: { request: 'r1' }, pooled: false });
    return fixture.pool;
  }
  const close = () => Promise.all(fixtures.map((fixture) => fixture.close()));

  afterEach(async () => {
    await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
  });

  it('fills itself with started containers, attached and watched before start', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 3);
    pool.start();
    await until('three containers are idle', () => pool.stats().idle === 3, Boolean, SOON);
    expect(engine.running()).toHaveLength(3);
    for (const [, container] of engine.containers) {
      expect(container.labels[POOL]).toBe('warm');
    }
    // One at a time, each attached and watched before it starts.
    expect(engine.calls).toEqual(
      ['c1', 'c2', 'c3'].flatMap((id) => [
        `create ${id}`,
        `attach ${id}`,
        `wait ${id}`,
        `start ${id}`,
      ]),
    );
  });

  it('hands out an idle container (a hit), or makes one on the spot when empty (a miss)', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 1);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 1, Boolean, SOON);

    const hit = await pool.acquire(ON_DEMAND);
    expect(hit.pooled).toBe(true);
    expect(engine.containers.get(hit.id)!.labels[POOL]).toBe('warm');

    const miss = await pool.acquire(ON_DEMAND);
    expect(miss.pooled).toBe(false);
    expect(engine.containers.get(miss.id)!.labels).toMatchObject({ request: 'r1' });
    expect(engine.containers.get(miss.id)!.labels[POOL]).toBeUndefined();
    expect(engine.containers.get(miss.id)!.state).toBe('running');
    expect(pool.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('never hands out the same container twice, and removes each one after its use', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 2);
    pool.start();
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      await until('the pool is full', () => pool.stats().idle === 2, Boolean, SOON);
      const container = await pool.acquire(ON_DEMAND);
      expect(seen.has(container.id)).toBe(false);
      seen.add(container.id);
      disposer.dispose(container.id);
    }
    await until('removals are done', () => pool.stats().removing === 0, Boolean, SOON);
    for (const id of seen) expect(engine.containers.has(id)).toBe(false);
    expect(pool.stats()).toMatchObject({ hits: 10, misses: 0 });
  });

  it('refills after a run ends, not while its program runs', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 2);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 2, Boolean, SOON);
    const creates = () => engine.calls.filter((call) => call.startsWith('create')).length;

    const container = await pool.acquire(ON_DEMAND);
    await sleep(20);
    expect(creates()).toBe(2); // one idle container left: nothing is created during the run
    disposer.dispose(container.id);
    await until('the pool is full again', () => pool.stats().idle === 2, Boolean, SOON);
    expect(creates()).toBe(3);
  });

  it('refills at once when a run takes the last idle container', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 1);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 1, Boolean, SOON);
    await pool.acquire(ON_DEMAND);
    await until('the pool is full again', () => pool.stats().idle === 1, Boolean, SOON);
  });

  it('replaces an idle container that dies and never hands it out', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 1);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 1, Boolean, SOON);
    const [victim] = engine.running();

    engine.containers.get(victim)!.exit(); // killed from outside
    await until(
      'the dead container is removed',
      () => !engine.containers.has(victim),
      Boolean,
      SOON,
    );
    await until('a replacement is idle', () => pool.stats().idle === 1, Boolean, SOON);
    const container = await pool.acquire(ON_DEMAND);
    expect(container.id).not.toBe(victim);
    expect(container.pooled).toBe(true);
    expect(pool.stats().discarded).toBe(1);
  });

  it('does not hand out a container that died even before the pool noticed its removal', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 2);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 2, Boolean, SOON);
    const [first] = engine.running();
    engine.containers.get(first)!.exit();
    await Promise.resolve(); // the exit is observed on the next microtask
    const container = await pool.acquire(ON_DEMAND);
    expect(container.id).not.toBe(first);
  });

  it('keeps retrying through an engine outage and refills by itself afterwards', async () => {
    const engine = new FakeEngine();
    engine.down = true;
    const pool = poolOf(engine, 2);
    pool.start();
    await sleep(50);
    expect(pool.stats().idle).toBe(0);
    await expect(pool.acquire(ON_DEMAND)).rejects.toBeInstanceOf(EngineUnavailableError);

    engine.down = false;
    await until('the pool is full after the outage', () => pool.stats().idle === 2, Boolean, SOON);
  });

  it('loses its idle containers to an engine restart and gets new ones afterwards', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 2);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 2, Boolean, SOON);
    const before = engine.running();

    engine.down = true;
    for (const id of before) engine.containers.get(id)!.exit(); // the restart kills them
    await until('the dead containers are dropped', () => pool.stats().idle === 0, Boolean, SOON);
    await sleep(30);
    engine.down = false;
    await until('the pool is full after the restart', () => pool.stats().idle === 2, Boolean, SOON);
    // The removals that failed while the engine was down were retried.
    await until(
      'old containers are gone',
      () => before.every((id) => !engine.containers.has(id)),
      Boolean,
      SOON,
    );
    const container = await pool.acquire(ON_DEMAND);
    expect(before).not.toContain(container.id);
  });

  it('removes a used container once it has exited, not while the engine sees it running', async () => {
    // A forced removal of a running container is a kill first: one more engine round per run.
    const engine = new FakeEngine();
    const pool = poolOf(engine, 0);
    const container = await pool.acquire(ON_DEMAND);
    disposer.dispose(container.id, container.exited);
    await sleep(30);
    expect(engine.containers.get(container.id)?.state).toBe('running');
    expect(engine.calls).not.toContain(`remove ${container.id}`);

    engine.containers.get(container.id)!.exit();
    await until('the container is removed', () => engine.removed.length, Boolean, SOON);
    expect(engine.removed).toEqual([container.id]);
    expect(engine.killed).toEqual([]);
  });

  it('removes a used container that does not exit after 2 s anyway, and at once on close', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 0);
    const stuck = await pool.acquire(ON_DEMAND);
    disposer.dispose(stuck.id, new Promise(() => undefined));
    await sleep(1500);
    expect(engine.containers.has(stuck.id)).toBe(true);
    await until('the container is removed', () => !engine.containers.has(stuck.id), Boolean, {
      everyMs: 10,
      withinMs: 2000,
    });

    const another = await pool.acquire(ON_DEMAND);
    disposer.dispose(another.id, new Promise(() => undefined));
    await sleep(10);
    await close();
    expect(engine.removed).toEqual([stuck.id, another.id]);
  });

  it('tries a refused removal again (the engine racing the container’s own exit), a few times', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 0);
    const container = await pool.acquire(ON_DEMAND);
    const remove = engine.remove.bind(engine);
    let refusals = 2;
    engine.remove = (id: string) => {
      if (refusals-- > 0) {
        return Promise.reject(
          Object.assign(new Error(`Could not kill running container ${id}, cannot remove`), {
            statusCode: 500,
          }),
        );
      }
      return remove(id);
    };
    disposer.dispose(container.id);
    await until(
      'the container is removed',
      () => !engine.containers.has(container.id),
      Boolean,
      SOON,
    );
  });

  it('removes a container whose start fails, and its failure does not stop the refill', async () => {
    const engine = new FakeEngine();
    engine.scripts.push({ failStart: new Error('OCI runtime create failed') });
    const pool = poolOf(engine, 1);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 1, Boolean, SOON);
    expect(engine.calls).toContain('remove c1');
    expect(engine.containers.has('c1')).toBe(false);
  });

  it('removes a container whose engine went away between create and start, once it is back', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 0);
    const attach = engine.attach.bind(engine);
    engine.attach = (id: string) => {
      engine.down = true;
      return attach(id);
    };
    await expect(pool.acquire(ON_DEMAND)).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(engine.containers.has('c1')).toBe(true);
    engine.down = false;
    await until('the container is removed', () => !engine.containers.has('c1'), Boolean, SOON);
  });

  it('removes a container made on the spot when its start fails, and reports the failure', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 0);
    engine.scripts.push({ failStart: new Error('OCI runtime create failed') });
    await expect(pool.acquire(ON_DEMAND)).rejects.toThrow('OCI runtime create failed');
    await until('the container is removed', () => engine.containers.size === 0, Boolean, SOON);
  });

  it('with size 0 creates nothing ahead of time and makes every container on demand', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 0);
    pool.start();
    await sleep(20);
    expect(engine.calls).toEqual([]);
    const container = await pool.acquire(ON_DEMAND);
    expect(container.pooled).toBe(false);
    disposer.dispose(container.id);
    await until('the container is removed', () => engine.containers.size === 0, Boolean, SOON);
    await sleep(20);
    expect(engine.containers.size).toBe(0);
    expect(pool.stats()).toMatchObject({ size: 0, idle: 0, hits: 0, misses: 0 });
  });

  it('on close removes every idle container, waits for removals and stops refilling', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 3);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 3, Boolean, SOON);
    const used = await pool.acquire(ON_DEMAND);
    disposer.dispose(used.id);

    await close();
    expect(engine.containers.size).toBe(0);
    expect(pool.stats()).toMatchObject({ idle: 0, removing: 0, warming: 0 });
    await sleep(20);
    expect(engine.containers.size).toBe(0);
  });

  it('on close removes the container it was warming', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 1);
    pool.start(); // create, attach, wait and start are in flight
    await close();
    expect(engine.containers.size).toBe(0);
  });

  it('on close during an outage stops retrying instead of hanging', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 1);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 1, Boolean, SOON);
    engine.down = true;
    await close(); // the removal fails once and is given up (the reaper's job then)
    expect(pool.stats().removing).toBe(0);
  });

  it('gives the holder the container with its stream and exit watch', async () => {
    const engine = new FakeEngine();
    const pool = poolOf(engine, 1);
    pool.start();
    await until('the pool is full', () => pool.stats().idle === 1, Boolean, SOON);
    const container: ReadyContainer = await pool.acquire(ON_DEMAND);
    let exited = false;
    void container.exited.then(() => (exited = true));
    await engine.kill(container.id);
    await until('the exit is seen by the holder', () => exited, Boolean, SOON);
    // A container already handed out is the run's business, not counted as died idle.
    expect(pool.stats().discarded).toBe(0);
  });
});
