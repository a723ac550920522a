import { describe, expect, it } from '@jest/globals';
import { RunQueue } from '../admission/run-queue.js';
import { InMemoryClientRunCounter } from '../admission/client-run-counter.js';
import type { CallbackDispatcher } from '../callbacks/index.js';
import { DomainError } from '../common/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import type { LiveProgramIO, Program, RunResult, SandboxService } from '../sandbox/index.js';
import { EmbeddedRunDispatcher } from './embedded-run-dispatcher.js';
import { MemoryRunEvents } from './memory-run-events.js';
import { MemoryRunInput } from './memory-run-input.js';
import { MemoryRunStore } from './memory-run-store.js';
import type { RunEvent } from './run-events.js';
import { RunCallbacks } from './run-callbacks.js';
import { RunProcessor } from './run-processor.js';
import type { RunRecord } from './run-record.js';
import { RunsService, type RunRequester } from './runs.service.js';

const RESULT: RunResult = {
  output: '4',
  stdout: '4\n',
  stderr: '',
  exitCode: 0,
  status: 'success',
  durationMs: 3,
  cpuMs: 2,
  memoryPeakMb: 9.5,
  truncated: false,
};

interface Started {
  program: Program;
  signal?: AbortSignal;
  live?: LiveProgramIO;
  finish(): void;
}

/** A sandbox whose runs end when the test says (or when they are aborted). */
class HeldSandbox {
  readonly started: Started[] = [];

  run(
    program: Program,
    { signal, live }: { signal?: AbortSignal; live?: LiveProgramIO } = {},
  ): Promise<RunResult> {
    return new Promise((resolve) => {
      const finish = () => resolve(RESULT);
      this.started.push({ program, signal, live, finish });
      signal?.addEventListener('abort', () =>
        resolve({ ...RESULT, status: 'timeout', exitCode: null }),
      );
    });
  }
}

function setup(overrides: Partial<AppConfig> = {}) {
  const config = Object.assign(
    new AppConfig(),
    { SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 2, CLIENT_MAX_INFLIGHT: 100 },
    overrides,
  );
  const sandbox = new HeldSandbox();
  const sent: { runId: string; url: string; body: object }[] = [];
  const dispatcher: CallbackDispatcher = {
    dispatch: (runId, url, body) => sent.push({ runId, url, body }),
  };
  const metrics = {
    ran: () => undefined,
    waited: () => undefined,
    rejected: () => undefined,
  } as unknown as RunMetrics;
  const events = new MemoryRunEvents();
  const input = new MemoryRunInput();
  const store = new MemoryRunStore(config, events);
  const callbacks = new RunCallbacks(dispatcher);
  const processor = new RunProcessor(
    store,
    sandbox as unknown as SandboxService,
    metrics,
    callbacks,
    events,
    input,
  );
  const admission = new RunQueue(config, new InMemoryClientRunCounter());
  const runs = new RunsService(
    store,
    new EmbeddedRunDispatcher(admission, processor),
    config,
    callbacks,
    events,
    input,
  );
  return { runs, sandbox, store, sent };
}

const ALICE: RunRequester = { client: 'key:alice', keyed: true };
const BOB: RunRequester = { client: 'key:bob', keyed: true };
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RunsService (embedded)', () => {
  it('accepts a run as queued, runs it, and keeps its result', async () => {
    const { runs, sandbox } = setup();
    const run = await runs.submit({ code: 'print(2 + 2)' }, ALICE);
    expect(run).toMatchObject({ status: 'queued', attempts: 0, owner: 'key:alice' });
    expect(run.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await tick();
    expect(await runs.get(run.id, ALICE)).toMatchObject({ status: 'running', attempts: 1 });
    sandbox.started[0].finish();
    await tick();
    const ended = await runs.get(run.id, ALICE);
    expect(ended).toMatchObject({ status: 'success', result: RESULT, attempts: 1 });
    expect(ended.finishedAt).toBeGreaterThanOrEqual(ended.startedAt!);
  });

  it('hides a run from another key (404), and from nobody when keys are off', async () => {
    const { runs } = setup();
    const keyed = await runs.submit({ code: 'x' }, ALICE);
    await expect(runs.get(keyed.id, BOB)).rejects.toMatchObject({ code: 'run_not_found' });
    await expect(runs.cancel(keyed.id, BOB)).rejects.toMatchObject({ code: 'run_not_found' });
    const open = await runs.submit({ code: 'x' }, { client: 'ip:192.0.2.1', keyed: false });
    expect(await runs.get(open.id, { client: 'ip:192.0.2.9', keyed: false })).toMatchObject({
      id: open.id,
    });
  });

  it('cancels a queued run, which then never starts, and a running one, which is killed', async () => {
    const { runs, sandbox } = setup();
    const running = await runs.submit({ code: 'first' }, ALICE);
    const queued = await runs.submit({ code: 'second' }, ALICE);
    await tick();
    expect(sandbox.started).toHaveLength(1);

    expect(await runs.cancel(queued.id, ALICE)).toMatchObject({ status: 'cancelled' });
    expect(await runs.cancel(running.id, ALICE)).toMatchObject({ status: 'cancelled' });
    expect(sandbox.started[0].signal?.aborted).toBe(true);
    await tick();
    expect(sandbox.started).toHaveLength(1); // the queued one never ran
    expect(await runs.get(running.id, ALICE)).toMatchObject({ status: 'cancelled' });
    expect(await runs.get(queued.id, ALICE)).toMatchObject({ status: 'cancelled' });
    // Cancelling what has ended changes nothing.
    expect(await runs.cancel(running.id, ALICE)).toMatchObject({ status: 'cancelled' });
  });

  it('refuses a run when the queue is full, and keeps nothing of it', async () => {
    const { runs, store } = setup({ SANDBOX_QUEUE_LIMIT: 0 });
    await runs.submit({ code: 'holds the slot' }, ALICE);
    await tick();
    await expect(runs.submit({ code: 'one too many' }, ALICE)).rejects.toMatchObject({
      code: 'queue_full',
    });
    await tick();
    expect(store.size).toBe(1);
  });

  it('runAndWait whose run cannot be stored rejects with that error and stops waiting for it', async () => {
    const { runs, store } = setup();
    const away = new DomainError('redis_unavailable', 'The store is away.', 5);
    store.create = () => Promise.reject(away);
    const endings = (store as unknown as { endings: NodeJS.EventEmitter }).endings;

    await expect(runs.runAndWait({ code: 'x' }, ALICE)).rejects.toBe(away);
    expect(endings.eventNames()).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('runAndWait answers the result, and gives up on a slot after the queue wait, cancelling the run', async () => {
    const { runs, sandbox } = setup({ SANDBOX_QUEUE_WAIT_MS: 50 });
    const first = runs.runAndWait({ code: 'first' }, ALICE);
    await tick();
    await expect(runs.runAndWait({ code: 'second' }, ALICE)).rejects.toMatchObject({
      code: 'queue_timeout',
    });
    sandbox.started[0].finish();
    expect(await first).toEqual(RESULT);
    expect(sandbox.started).toHaveLength(1);
  });

  it('sends a run to its callback once, when it ends, and a cancelled one too', async () => {
    const { runs, sandbox, sent } = setup();
    const done = await runs.submit({ code: 'x' }, { ...ALICE, callbackUrl: 'https://a.example/' });
    const cancelled = await runs.submit(
      { code: 'y' },
      { ...ALICE, callbackUrl: 'https://b.example/' },
    );
    await tick();
    expect(sent).toEqual([]);
    await runs.cancel(cancelled.id, ALICE);
    sandbox.started[0].finish();
    await tick();
    expect(sent.map((s) => [s.runId, s.url])).toEqual([
      [cancelled.id, 'https://b.example/'],
      [done.id, 'https://a.example/'],
    ]);
    expect(sent[1].body).toMatchObject({ id: done.id, status: 'success', result: RESULT });
    expect(sent[1].body).not.toHaveProperty('owner');
  });
});

describe('MemoryRunStore', () => {
  const ended = (id: string, finishedAt: number) => ({
    id,
    owner: null,
    client: 'c',
    status: 'success' as const,
    createdAt: finishedAt,
    finishedAt,
    attempts: 1,
  });

  it('forgets an ended run after RUN_RESULT_TTL_S, and the oldest ones past RUN_RESULTS_LIMIT', async () => {
    const store = new MemoryRunStore(
      Object.assign(new AppConfig(), { RUN_RESULT_TTL_S: 60, RUN_RESULTS_LIMIT: 2 }),
      new MemoryRunEvents(),
    );
    try {
      await store.create(ended('old', Date.now() - 61_000));
      expect(await store.get('old')).toBeUndefined();
      await store.create(ended('a', Date.now()));
      await store.create(ended('b', Date.now()));
      await store.create(ended('c', Date.now()));
      expect(await store.get('a')).toBeUndefined();
      expect(await store.get('b')).toBeDefined();
      expect(await store.get('c')).toBeDefined();
    } finally {
      store.onApplicationShutdown();
    }
  });
});

describe('RunsService: live events and stdin (embedded)', () => {
  it("tells a run's events in order: its start, its output as it comes, its result; a late follower gets them all", async () => {
    const { runs, sandbox } = setup();
    const run = await runs.submit({ code: 'x' }, ALICE);
    const seen: RunEvent[] = [];
    const following = (async () => {
      for await (const event of (await runs.follow(run.id, ALICE)).events) seen.push(event);
    })();
    await tick();
    sandbox.started[0].live?.onOutput?.('stdout', 'one\n');
    await tick();
    expect(seen.map((e) => e.type)).toEqual(['status', 'stdout']);
    sandbox.started[0].live?.onOutput?.('stderr', 'two\n');
    sandbox.started[0].finish();
    await following;
    expect(seen.map((e) => [e.type, JSON.parse(e.data) as unknown])).toEqual([
      ['status', { status: 'running', attempt: 1 }],
      ['stdout', { data: 'one\n' }],
      ['stderr', { data: 'two\n' }],
      ['result', expect.objectContaining({ id: run.id, status: 'success', result: RESULT })],
    ]);
    const late: RunEvent[] = [];
    for await (const event of (await runs.follow(run.id, ALICE)).events) late.push(event);
    expect(late).toEqual(seen);
    const resumed: RunEvent[] = [];
    for await (const event of (await runs.follow(run.id, ALICE, { after: seen[1].id })).events) {
      resumed.push(event);
    }
    expect(resumed).toEqual(seen.slice(2));
    // Past the last event of an ended run there is nothing, and nothing to wait for.
    const after = await runs.follow(run.id, ALICE, { after: seen[3].id });
    expect(after.ended).toBe(true);
    expect(await after.events[Symbol.asyncIterator]().next()).toEqual({
      done: true,
      value: undefined,
    });
    await expect(runs.follow(run.id, BOB)).rejects.toMatchObject({ code: 'run_not_found' });
  });

  it("feeds an interactive run's stdin from the start, as it is written, until it is closed", async () => {
    const { runs, sandbox } = setup();
    const run = await runs.submit({ code: 'x' }, { ...ALICE, interactive: true });
    await runs.writeInput(run.id, 'early\n'); // before the program starts: kept
    await tick();
    const { live } = sandbox.started[0];
    expect(live?.openInput).toBeDefined();
    const read: string[] = [];
    const reading = (async () => {
      for await (const data of live!.openInput!(new AbortController().signal)) read.push(data);
    })();
    await tick();
    await runs.writeInput(run.id, 'late\n');
    await runs.closeInput(run.id);
    await reading;
    expect(read).toEqual(['early\n', 'late\n']);
    // A run that is not interactive reads no live stdin.
    const plain = await runs.submit({ code: 'y' }, ALICE);
    sandbox.started[0].finish();
    await tick();
    expect(sandbox.started.find((s) => s.program.code === 'y')?.live?.openInput).toBeUndefined();
    await runs.cancel(plain.id, ALICE);
  });
});

/** A store whose first write lands but whose answer is lost, as when Redis answers too late. */
class LateAnswerStore extends MemoryRunStore {
  lost = 1;

  override async update(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
  ): Promise<RunRecord | undefined> {
    const run = await super.update(id, change);
    if (this.lost-- > 0) throw new DomainError('redis_unavailable', 'Redis answered too late');
    return run;
  }
}

describe('RunProcessor', () => {
  /** Run r1 as it was accepted. */
  const queuedRun = (): RunRecord => ({
    id: 'r1',
    owner: null,
    client: 'ip:127.0.0.1',
    status: 'queued',
    createdAt: Date.now(),
    attempts: 0,
  });

  it('runs a run whose start was written but not confirmed: the retry knows its own start', async () => {
    const events = new MemoryRunEvents();
    const store = new LateAnswerStore(new AppConfig(), events);
    const programs: string[] = [];
    const sandbox = {
      run: (program: { code: string }) => {
        programs.push(program.code);
        return Promise.resolve(RESULT);
      },
    } as unknown as SandboxService;
    const metrics = { ran: () => undefined, waited: () => undefined } as unknown as RunMetrics;
    const callbacks = new RunCallbacks({ dispatch: () => undefined });
    const processor = new RunProcessor(
      store,
      sandbox,
      metrics,
      callbacks,
      events,
      new MemoryRunInput(),
    );
    const run = queuedRun();
    await store.create(run);

    const ended = await processor.process('r1', { code: 'print(2 + 2)' }, { attempt: 1 });

    expect(programs).toEqual(['print(2 + 2)']);
    expect(ended).toMatchObject({ status: 'success', attempts: 1, result: RESULT });
    store.onApplicationShutdown();
  });

  /** A processor over a store whose writes land only when the test lets them (`release`). */
  function heldStart() {
    const events = new MemoryRunEvents();
    const gates: (() => void)[] = [];
    const store = new (class extends MemoryRunStore {
      override async update(
        id: string,
        change: (run: RunRecord) => RunRecord | undefined,
      ): Promise<RunRecord | undefined> {
        await new Promise<void>((resolve) => gates.push(resolve));
        return super.update(id, change);
      }
    })(new AppConfig(), events);
    const sandbox = new HeldSandbox();
    const processor = new RunProcessor(
      store,
      sandbox as unknown as SandboxService,
      { ran: () => undefined, waited: () => undefined } as unknown as RunMetrics,
      new RunCallbacks({ dispatch: () => undefined }),
      events,
      new MemoryRunInput(),
    );
    const run = queuedRun();
    const release = async () => {
      await tick();
      gates.shift()?.();
      await tick();
    };
    const types = async () => {
      const seen: string[] = [];
      for await (const event of events.follow('r1', { ended: true })) seen.push(event.type);
      return seen;
    };
    return { store, sandbox, processor, run, release, types };
  }

  it('starts the program while its start is written, and writes its output only after that', async () => {
    const { store, sandbox, processor, run, release, types } = heldStart();
    await store.create(run);
    const processing = processor.process('r1', { code: 'x' }, { believed: run });
    await tick();
    expect(sandbox.started).toHaveLength(1); // the start's write has not landed yet
    sandbox.started[0].live?.onOutput?.('stdout', 'early\n');
    await tick();
    expect(await types()).toEqual([]);

    await release(); // the start
    expect(await types()).toEqual(['status', 'stdout']);
    sandbox.started[0].finish();
    await release(); // the end
    expect(await processing).toMatchObject({ status: 'success', attempts: 1 });
    expect(await types()).toEqual(['status', 'stdout', 'result']);
    store.onApplicationShutdown();
  });

  /** A processor over a store that records its announcements and its writes, in order. */
  function recordingStore({ announceFails = false } = {}) {
    const events = new MemoryRunEvents();
    const calls: { call: 'announceEnd' | 'update'; run?: RunRecord }[] = [];
    const store = new (class extends MemoryRunStore {
      override async update(
        id: string,
        change: (run: RunRecord) => RunRecord | undefined,
      ): Promise<RunRecord | undefined> {
        const run = await super.update(id, change);
        calls.push({ call: 'update', run });
        return run;
      }
      override announceEnd(run: RunRecord): Promise<void> {
        calls.push({ call: 'announceEnd', run: structuredClone(run) });
        return announceFails
          ? Promise.reject(new DomainError('redis_unavailable', 'Redis is away'))
          : Promise.resolve();
      }
    })(new AppConfig(), events);
    // A program that prints as it runs.
    const sandbox = {
      run: (_program: Program, { live }: { live?: LiveProgramIO }) => {
        live?.onOutput?.('stdout', '4\n');
        return Promise.resolve(RESULT);
      },
    } as unknown as SandboxService;
    const processor = new RunProcessor(
      store,
      sandbox,
      { ran: () => undefined, waited: () => undefined } as unknown as RunMetrics,
      new RunCallbacks({ dispatch: () => undefined }),
      events,
      new MemoryRunInput(),
    );
    const types = async () => {
      const seen: string[] = [];
      for await (const event of events.follow('r1', { ended: true })) seen.push(event.type);
      return seen;
    };
    return { store, processor, calls, types };
  }

  it('announces the end of an awaited run before it stores it, as it then stores it, and keeps its output in its result only', async () => {
    const { store, processor, calls, types } = recordingStore();
    const run = queuedRun();
    await store.create(run);

    const ended = await processor.process('r1', { code: 'x' }, { believed: run, awaited: true });

    expect(calls.map(({ call, run: record }) => [call, record?.status])).toEqual([
      ['update', 'running'],
      ['announceEnd', 'success'],
      ['update', 'success'],
    ]);
    expect(calls[1].run).toEqual(ended);
    expect(ended).toMatchObject({ status: 'success', result: RESULT, attempts: 1 });
    expect(await types()).toEqual(['status', 'result']); // no live output: nobody follows it
    store.onApplicationShutdown();
  });

  it('announces no end of a run nobody awaits, and stores an end it could not announce', async () => {
    const plain = recordingStore();
    await plain.store.create(queuedRun());
    await plain.processor.process('r1', { code: 'x' }, { believed: queuedRun() });
    expect(plain.calls.map(({ call }) => call)).toEqual(['update', 'update']);
    expect(await plain.types()).toEqual(['status', 'stdout', 'result']);
    plain.store.onApplicationShutdown();

    const unannounced = recordingStore({ announceFails: true });
    await unannounced.store.create(queuedRun());
    const ended = await unannounced.processor.process(
      'r1',
      { code: 'x' },
      { believed: queuedRun(), awaited: true },
    );
    expect(unannounced.calls.map(({ call }) => call)).toEqual(['update', 'announceEnd', 'update']);
    expect(ended).toMatchObject({ status: 'success', result: RESULT });
    expect(await unannounced.store.get('r1')).toEqual(ended);
    unannounced.store.onApplicationShutdown();
  });

  it('stops a program whose run turns out cancelled when its start is written, and keeps none of its output', async () => {
    const { store, sandbox, processor, run, release, types } = heldStart();
    await store.create({ ...run, status: 'cancelled', finishedAt: Date.now() });
    const processing = processor.process('r1', { code: 'x' }, { believed: run });
    await tick();
    sandbox.started[0].live?.onOutput?.('stdout', 'too early\n');
    await release(); // the start finds the run cancelled
    expect(await processing).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(sandbox.started[0].signal?.aborted).toBe(true);
    expect(await types()).toEqual([]);
    store.onApplicationShutdown();
  });
});
