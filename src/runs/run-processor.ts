import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../common/domain-error.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { SandboxService, type LiveProgramIO, type RunResult } from '../sandbox/index.js';
import { RunCallbacks } from './run-callbacks.js';
import { RUN_EVENTS, type RunEvents } from './run-events.js';
import { RUN_INPUT, type RunInput } from './run-input.js';
import { RunOutputRelay } from './run-output-relay.js';
import type { RunProgram, RunRecord } from './run-record.js';
import { RUN_STORE, type RunStore } from './run-store.js';

/** How long a worker keeps trying to record a run while its store (Redis) is away. */
const STORE_PATIENCE_MS = 120_000;

/**
 * The worker's side of a run: marks it running, runs the program in the sandbox, and stores
 * how it ended. A run cancelled meanwhile stays cancelled: every write is conditional.
 */
@Injectable()
export class RunProcessor {
  private readonly logger = new Logger(RunProcessor.name);

  constructor(
    @Inject(RUN_STORE) private readonly store: RunStore,
    private readonly sandbox: SandboxService,
    private readonly metrics: RunMetrics,
    private readonly callbacks: RunCallbacks,
    @Inject(RUN_EVENTS) private readonly events: RunEvents,
    @Inject(RUN_INPUT) private readonly input: RunInput,
  ) {}

  /**
   * Runs an accepted run to its end and resolves with its record then. Never rejects for the
   * program's or the engine's failures: they end the run (status `internal_error`, with the
   * error) rather than lose it. `believed`: the run as it was accepted (the job carries it), so
   * that starting it need not read it first.
   *
   * The program starts while its start is being written, not after: a store round trip (one
   * fsync in Redis) is not added to every run. Its output waits for that write, so the run's
   * events keep their order; a run that must not start after all (cancelled, ended, or running
   * elsewhere) is stopped at once, its output dropped: a program has no effects outside its
   * sandbox.
   *
   * `awaited`: its submitter waits for the end (POST /run), and nobody else knows the run's id.
   * Its output goes into its result only, not into live events that nobody could follow (a
   * write, and an fsync in Redis, per piece while the program runs). Its end is announced as
   * soon as the program is over, before it is stored, so the answer does not wait for that
   * write either. The waiter takes it as the run's end: a run that was running when it ended
   * so stays ended so, unless a cancel comes in between (its waiter, the client gone, is gone
   * too).
   */
  async process(
    id: string,
    program: RunProgram,
    {
      signal,
      requestId,
      attempt = 1,
      believed,
      awaited = false,
    }: {
      signal?: AbortSignal;
      requestId?: string;
      attempt?: number;
      believed?: RunRecord;
      awaited?: boolean;
    },
  ): Promise<RunRecord | undefined> {
    // A queued run starts; a running one only as a later attempt (its worker died mid-run:
    // a program has no effects outside its sandbox, so running it again is safe), or when it
    // is this very start, written once already by a try whose answer was lost.
    // (`change` may be called more than once: a store retries it when the run changed meanwhile.)
    const accepted = believed ?? (await this.store.get(id)); // (a job from before jobs carried it)
    if (!accepted) return undefined;
    const token = randomUUID();
    let started = false;
    const starting = this.persist(
      id,
      (current) => {
        if (current.status === 'running' && current.startedBy === token) {
          started = true;
          return undefined; // written already
        }
        started =
          current.status === 'queued' ||
          (current.status === 'running' && attempt > current.attempts);
        if (!started) return undefined;
        return {
          ...current,
          status: 'running',
          startedAt: Date.now(),
          attempts: attempt,
          startedBy: token,
        };
      },
      accepted,
    );
    const unstarted = new AbortController();
    // Output goes into the run's events as it comes, once the start is written (unless only
    // its submitter waits for it); an interactive run reads live stdin.
    const output = new RunOutputRelay(this.events, id, this.logger, starting);
    const live: LiveProgramIO = {};
    if (!awaited) live.onOutput = (stream, text) => output.push(stream, text);
    if (accepted.interactive) live.openInput = (over) => this.input.read(id, over);
    // The container goes once the end is stored (the API answers then), not before.
    let stored: () => void = () => undefined;
    const disposeAfter = new Promise<void>((resolve) => (stored = resolve));
    const running = this.sandbox.run(program, {
      signal: signal ? AbortSignal.any([signal, unstarted.signal]) : unstarted.signal,
      requestId,
      live,
      disposeAfter,
    });
    running.catch(() => undefined); // awaited below, unless the start's write fails first
    try {
      const run = await starting.catch((error: unknown) => {
        unstarted.abort();
        throw error;
      });
      if (!started || !run) {
        // Cancelled, or ended, or expired while it waited, or running elsewhere.
        output.discard();
        unstarted.abort();
        await running.catch(() => undefined);
        return run;
      }
      this.metrics.waited(run.startedAt! - run.createdAt);
      this.logger.log(
        { event: 'run_started', runId: id, attempt, waitedMs: run.startedAt! - run.createdAt },
        'run admitted',
      );
      return await this.finish(id, run, running, output, { signal, awaited });
    } finally {
      stored();
      if (accepted.interactive) void this.input.forget(id).catch(() => undefined);
    }
  }

  /** Waits for the program and stores how it ended (announced first when `awaited`). */
  private async finish(
    id: string,
    run: RunRecord,
    running: Promise<RunResult>,
    output: RunOutputRelay,
    { signal, awaited }: { signal?: AbortSignal; awaited: boolean },
  ): Promise<RunRecord | undefined> {
    try {
      const result = await running;
      const finishedAt = Date.now();
      const ending = (current: RunRecord): RunRecord | undefined =>
        current.status === 'running'
          ? { ...current, status: result.status, result, finishedAt }
          : undefined;
      // Before the output's last write too: in Redis, a word that comes with no write is not
      // held for the append-only file's fsync. A word that is lost leaves the stored end to tell.
      const ended = ending(run);
      if (awaited && ended) await this.store.announceEnd(ended).catch(() => undefined);
      await output.close(); // the output events come before the result's
      this.metrics.ran(result.status, result.durationMs);
      this.logger.log(
        {
          event: 'run_finished',
          runId: id,
          status: result.status,
          exitCode: result.exitCode,
          durationMs: result.durationMs,
          truncated: result.truncated,
          clientGone: signal?.aborted ?? false,
        },
        'run finished',
      );
      return await this.end(id, ending, run);
    } catch (error) {
      await output.close();
      return this.fail(id, error);
    }
  }

  /** Ends a run that could not run (`internal_error`), unless it has ended already. */
  async fail(id: string, error: unknown): Promise<RunRecord | undefined> {
    const failure =
      error instanceof DomainError
        ? { code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds }
        : { code: 'internal' as const, message: 'The run failed inside the service.' };
    if (error instanceof DomainError) this.metrics.rejected(error.code);
    else this.logger.error({ event: 'run_failed', runId: id, err: error }, 'run failed');
    return this.end(id, (run) =>
      run.status === 'queued' || run.status === 'running'
        ? { ...run, status: 'internal_error', error: failure, finishedAt: Date.now() }
        : undefined,
    );
  }

  /** Stores the run's end (if `change` makes one) and announces it to its callback. */
  private async end(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
    believed?: RunRecord,
  ): Promise<RunRecord | undefined> {
    let ended = false;
    const run = await this.persist(
      id,
      (current) => {
        const next = change(current);
        ended = next !== undefined;
        return next;
      },
      believed,
    );
    if (ended) this.callbacks.ended(run);
    return run;
  }

  /**
   * A store update that outlasts a store outage: while Redis is away (redis_unavailable) it is
   * tried again, every 250 ms growing to 2 s, for up to STORE_PATIENCE_MS. A program's result in
   * hand is not thrown away because Redis restarted; a worker that dies meanwhile leaves the run
   * to another, which runs it again.
   */
  private async persist(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
    believed?: RunRecord,
  ): Promise<RunRecord | undefined> {
    const giveUpAt = Date.now() + STORE_PATIENCE_MS;
    for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 2000)) {
      try {
        return await this.store.update(id, change, believed);
      } catch (error) {
        const storeAway = error instanceof DomainError && error.code === 'redis_unavailable';
        if (!storeAway || Date.now() + delayMs > giveUpAt) throw error;
        this.logger.warn({ event: 'run_store_retry', runId: id, retryInMs: delayMs });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
