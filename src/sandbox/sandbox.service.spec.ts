import { afterEach, describe, expect, it } from '@jest/globals';
import { frame } from '../../test/support/docker-frames.js';
import { FakeEngine } from '../../test/support/fake-engine.js';
import { sandboxFixture, type SandboxFixture } from '../../test/support/sandbox-fixture.js';
import { until } from '../../test/support/until.js';

/** Background work here takes milliseconds: poll often, give up soon. */
const SOON = { everyMs: 2, withinMs: 2000 };
import { CONTAINER_LABELS } from './container-labels.js';
import { EngineUnavailableError, SandboxContainerLostError } from './sandbox.errors.js';

const fixtures: SandboxFixture[] = [];
function sandboxOf(engine: FakeEngine, env: Record<string, string> = {}): SandboxFixture {
  const fixture = sandboxFixture(engine, env);
  fixtures.push(fixture);
  void fixture.service.onApplicationBootstrap();
  return fixture;
}

afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.service.onApplicationShutdown()));
});

describe('SandboxService with its warm pool', () => {
  it('runs the program in an idle pooled container and takes the start marker off the output', async () => {
    const engine = new FakeEngine({ output: [frame(1, '4\n')] });
    const { service } = sandboxOf(engine, { SANDBOX_POOL_SIZE: '1' });
    await until('the pool is full', () => service.poolStats().idle === 1, Boolean, SOON);

    const result = await service.run({ code: 'print(2 + 2)' });
    expect(result).toMatchObject({ output: '4', stdout: '4\n', exitCode: 0, status: 'success' });
    expect(engine.containers.get('c1')?.labels[CONTAINER_LABELS.pool]).toBe('warm');
    expect(service.poolStats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('runs the program again in a new container when the pooled one was dead before it started', async () => {
    const engine = new FakeEngine({ output: [frame(1, '4\n')] });
    engine.scripts.push({ behaviour: 'dead' });
    const { service } = sandboxOf(engine, { SANDBOX_POOL_SIZE: '1' });
    await until('the pool is full', () => service.poolStats().idle === 1, Boolean, SOON);

    const labelsOfRetry: Record<string, string>[] = [];
    const create = engine.create.bind(engine);
    engine.create = (spec) => {
      if (spec.labels[CONTAINER_LABELS.request] === 'r1') labelsOfRetry.push(spec.labels);
      return create(spec);
    };
    const result = await service.run({ code: 'print(2 + 2)' }, { requestId: 'r1' });
    expect(result).toMatchObject({ output: '4', exitCode: 0, status: 'success' });
    expect(labelsOfRetry).toHaveLength(1);
    expect(labelsOfRetry[0][CONTAINER_LABELS.pool]).toBeUndefined();
    await service.onApplicationShutdown();
    expect(engine.removed).toContain('c1');
    expect(engine.containers.size).toBe(0);
  });

  it('does not run a program twice when a container made for it fails before the start', async () => {
    const engine = new FakeEngine();
    engine.scripts.push({ behaviour: 'dead' });
    const { service } = sandboxOf(engine, { SANDBOX_POOL_SIZE: '0' });

    const result = await service.run({ code: 'print(2 + 2)' });
    expect(result).toMatchObject({ output: '', exitCode: 137, status: 'runtime_error' });
    expect(engine.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
  });
});

// No pool: these tests follow one container made for the run.
describe('SandboxService limits and clean-up (fake engine, no pool)', () => {
  const noPool = (env: Record<string, string> = {}) => ({ SANDBOX_POOL_SIZE: '0', ...env });

  it('sends the framed program, collects output and removes the container', async () => {
    const engine = new FakeEngine({ output: [frame(1, '4\n')] });
    const { service, identity } = sandboxOf(engine, noPool());
    const result = await service.run({ code: 'print(2 + 2)', stdin: 'in' }, { requestId: 'r7' });
    const { spec, received } = engine.containers.get('c1')!;
    await service.onApplicationShutdown(); // removal happens after the answer; shutdown awaits it
    expect(received.toString()).toMatch(/^12 5000 - 0 20 1048576\nprint\(2 \+ 2\)[0-9a-f]{32}in$/);
    expect(result).toMatchObject({ output: '4', status: 'success', exitCode: 0 });
    expect(engine.removed).toEqual(['c1']);
    expect(spec.labels).toMatchObject({
      [CONTAINER_LABELS.instance]: identity.id,
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.request]: 'r7',
    });
    expect(Number(spec.labels[CONTAINER_LABELS.maxLifetimeMs])).toBeGreaterThan(5000);
  });

  it('removes the container only once the caller says its record of the end is written', async () => {
    const engine = new FakeEngine({ output: [frame(1, '4\n')] });
    const { service } = sandboxOf(engine, noPool());
    let written: () => void = () => undefined;
    const disposeAfter = new Promise<void>((resolve) => (written = resolve));
    const result = await service.run({ code: 'print(2 + 2)' }, { disposeAfter });
    expect(result).toMatchObject({ output: '4', status: 'success' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(engine.removed).toEqual([]);
    written();
    await until(
      'the container is removed',
      () => engine.removed.length,
      (n) => n === 1,
      SOON,
    );
    expect(engine.removed).toEqual(['c1']);
  });

  it('kills the container at the time limit and reports a timeout', async () => {
    const engine = new FakeEngine({ behaviour: 'hangs' });
    const { service } = sandboxOf(engine, noPool({ SANDBOX_TIMEOUT_MS: '200' }));
    const result = await service.run({ code: 'x' });
    await service.onApplicationShutdown();
    expect(engine.killed).toEqual(['c1']);
    expect(result).toMatchObject({ status: 'timeout', exitCode: null });
    expect(engine.removed).toEqual(['c1']);
  });

  it('kills the container as soon as output passes the limit', async () => {
    const engine = new FakeEngine({
      output: [frame(1, 'x'.repeat(1024)), frame(1, 'y')],
      behaviour: 'hangs',
    });
    const { service } = sandboxOf(engine, noPool({ SANDBOX_OUTPUT_LIMIT_BYTES: '1024' }));
    const result = await service.run({ code: 'x' });
    expect(engine.killed).toEqual(['c1']);
    expect(result).toMatchObject({
      status: 'output_limit_exceeded',
      exitCode: null,
      truncated: true,
    });
    expect(result.stdout).toBe('x'.repeat(1024));
  });

  it('kills the container when the caller aborts', async () => {
    const engine = new FakeEngine({ behaviour: 'hangs' });
    const controller = new AbortController();
    const { service } = sandboxOf(engine, noPool());
    const running = service.run({ code: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await running;
    await service.onApplicationShutdown();
    expect(engine.killed).toEqual(['c1']);
    expect(engine.removed).toEqual(['c1']);
  });

  it('removes the container when the engine fails mid-run, and reports the domain error', async () => {
    const engine = new FakeEngine({ failStart: new EngineUnavailableError('ECONNREFUSED') });
    const { service } = sandboxOf(engine, noPool());
    await expect(service.run({ code: 'x' })).rejects.toBeInstanceOf(EngineUnavailableError);
    await service.onApplicationShutdown();
    expect(engine.removed).toEqual(['c1']);
  });

  it('reports a container removed from outside mid-run as lost, not as a result', async () => {
    const engine = new FakeEngine({ output: [frame(1, 'partial')], lost: true });
    const { service } = sandboxOf(engine, noPool());
    await expect(service.run({ code: 'x' })).rejects.toBeInstanceOf(SandboxContainerLostError);
    await service.onApplicationShutdown();
    expect(engine.removed).toEqual(['c1']);
  });

  it('answers from the launcher’s end report without waiting for the exit; a container that then exits is not killed', async () => {
    const engine = new FakeEngine({
      output: [frame(1, 'bye\n')],
      report: { exitCode: 2, oomKills: 0 },
      exitsAfterReport: true,
    });
    const { service } = sandboxOf(engine, noPool());
    const result = await service.run({ code: 'x' });
    expect(result).toMatchObject({ output: 'bye', exitCode: 2, status: 'runtime_error' });
    await service.onApplicationShutdown();
    expect(engine.killed).toEqual([]);
    expect(engine.removed).toEqual(['c1']);
  });

  it('kills a container still up half a second after the end report (its removal failing)', async () => {
    const engine = new FakeEngine({ report: { exitCode: 0, oomKills: 0 } });
    engine.failRemovals = true;
    const { service } = sandboxOf(engine, noPool());
    expect(await service.run({ code: 'x' })).toMatchObject({ status: 'success' });
    expect(engine.killed).toEqual([]);
    await until(
      'the kill',
      () => engine.killed,
      (killed) => killed.length === 1,
      { withinMs: 2000 },
    );
    expect(engine.killed).toEqual(['c1']);
    engine.failRemovals = false;
    await service.onApplicationShutdown();
  });

  it('answers memory_exceeded from the report’s OOM count, without waiting for the engine', async () => {
    const engine = new FakeEngine({ report: { exitCode: 137, oomKills: 1 } });
    const { service } = sandboxOf(engine, noPool());
    expect(await service.run({ code: 'x' })).toMatchObject({
      status: 'memory_exceeded',
      exitCode: null,
    });
    expect(engine.calls).not.toContain('inspect c1');
  });

  it('answers timeout when the launcher killed the program at the limit, before the backstop', async () => {
    const engine = new FakeEngine({ report: { exitCode: 137, oomKills: 0, ending: 'time' } });
    const { service } = sandboxOf(engine, noPool({ SANDBOX_TIMEOUT_MS: '60000' }));
    expect(await service.run({ code: 'x' })).toMatchObject({ status: 'timeout', exitCode: null });
  });

  it('leaves the verdict to the engine when the launcher cannot count OOM kills', async () => {
    const engine = new FakeEngine({ report: { exitCode: 0, oomKills: -1 }, oomKilled: true });
    const { service } = sandboxOf(engine, noPool());
    const running = service.run({ code: 'x' });
    setTimeout(() => void engine.kill('c1'), 50); // the container's exit, as the engine sees it
    expect(await running).toMatchObject({ status: 'memory_exceeded', exitCode: null });
  });
});
