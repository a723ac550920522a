import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { codePointLength } from '../common/code-points.js';
import { DomainError } from '../common/domain-error.js';
import type { RunResult } from '../sandbox/index.js';
import { RunCallbacks } from './run-callbacks.js';
import { RUN_DISPATCHER, type RunDispatcher } from './run-dispatcher.js';
import { RUN_EVENTS, type RunEvent, type RunEvents } from './run-events.js';
import { RUN_INPUT, type RunInput } from './run-input.js';
import { runView } from './run-view.js';
import { hasEnded, type RunProgram, type RunRecord } from './run-record.js';
import { RUN_STORE, type RunStore } from './run-store.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/** Who asks, as the HTTP layer knows it. */
export interface RunRequester {
  /** Who the run counts against (ClientIdentity: its API key, else its address). */
  client: string;
  /** True when API keys are on: then only the same client may see its runs. */
  keyed: boolean;
  requestId?: string;
}

export interface SubmitOptions extends RunRequester {
  callbackUrl?: string;
  /** Keep its stdin open for live input (writeInput, closeInput). */
  interactive?: boolean;
  /** How long the run may wait for a slot; no limit unless given. */
  maxWaitMs?: number;
}

/**
 * Runs as records that outlive their request: submit (POST /runs), read (GET), cancel
 * (DELETE), and submit-and-wait (POST /run). The same path in both modes; the store and the
 * dispatcher behind the tokens differ.
 */
@Injectable()
export class RunsService {
  private readonly logger = new Logger(RunsService.name);
  private readonly queueWaitMs: number;

  constructor(
    @Inject(RUN_STORE) private readonly store: RunStore,
    @Inject(RUN_DISPATCHER) private readonly dispatcher: RunDispatcher,
    @Inject(RUNS_CONFIG.token) config: RunsConfig,
    private readonly callbacks: RunCallbacks,
    @Inject(RUN_EVENTS) private readonly events: RunEvents,
    @Inject(RUN_INPUT) private readonly input: RunInput,
  ) {
    this.queueWaitMs = config.SANDBOX_QUEUE_WAIT_MS;
  }

  /**
   * Accepts a run for later: resolves with its record (status `queued`) once it holds a place;
   * rejects with a DomainError (queue full, client limit, shutting down) if refused, and then
   * nothing of it is kept.
   */
  submit(program: RunProgram, options: SubmitOptions): Promise<RunRecord> {
    return this.accept(randomUUID(), program, options);
  }

  /** `awaited`: the caller waits for the run's end (runAndWait). */
  private async accept(
    id: string,
    program: RunProgram,
    options: SubmitOptions & { awaited?: boolean },
  ): Promise<RunRecord> {
    this.logger.log(
      {
        event: 'run_requested',
        codeLength: codePointLength(program.code),
        codeSha256: createHash('sha256').update(program.code).digest('hex'),
        stdinBytes: Buffer.byteLength(program.stdin ?? '', 'utf8'),
      },
      'run requested',
    );
    const run: RunRecord = {
      id,
      owner: options.keyed ? options.client : null,
      client: options.client,
      status: 'queued',
      createdAt: Date.now(),
      attempts: 0,
      ...(options.callbackUrl === undefined ? {} : { callbackUrl: options.callbackUrl }),
      ...(options.interactive ? { interactive: true } : {}),
    };
    if (options.interactive) await this.input.open(run.id);
    // Both at once: the record is written first (the store's call writes before it yields),
    // and in Redis on the same connection as the job, so a worker never finds a job without
    // its run; the job waits for no round trip of the record's.
    const [created, dispatched] = await Promise.allSettled([
      this.store.create(run),
      this.dispatcher.dispatch(run, program, {
        maxWaitMs: options.maxWaitMs ?? Infinity,
        requestId: options.requestId,
        awaited: options.awaited,
      }),
    ]);
    if (created.status === 'rejected' || dispatched.status === 'rejected') {
      const error: unknown =
        dispatched.status === 'rejected'
          ? dispatched.reason
          : (created as PromiseRejectedResult).reason;
      // A job whose record failed is taken off again (a worker would find no run and skip it).
      if (dispatched.status === 'fulfilled') this.dispatcher.cancel(run.id);
      await this.store.delete(run.id);
      if (options.interactive) await this.input.forget(run.id).catch(() => undefined);
      if (error instanceof DomainError) {
        this.logger.warn(
          { event: 'run_refused', runId: run.id, reason: error.code },
          `run refused: ${error.message}`,
        );
      }
      throw error;
    }
    return run;
  }

  /**
   * POST /run: submits the run, waits for its end and answers with its result. It may wait
   * SANDBOX_QUEUE_WAIT_MS for a slot; when `signal` fires (the client went away) the run is
   * cancelled. A run that could not run rejects with its error, as before jobs existed.
   */
  async runAndWait(
    program: RunProgram,
    requester: RunRequester & { signal?: AbortSignal },
  ): Promise<RunResult> {
    const { signal } = requester;
    // Waiting for the end starts before the run exists, so the store need not read it back.
    const refused = new AbortController();
    const id = randomUUID();
    const ending = this.store.ended(id, { signal: refused.signal, creating: true });
    ending.catch(() => undefined); // awaited below, unless the run is refused
    let run: RunRecord;
    try {
      run = await this.accept(id, program, {
        ...requester,
        maxWaitMs: this.queueWaitMs,
        awaited: true,
      });
    } catch (error) {
      refused.abort();
      throw error;
    }
    // Best effort: a run that cannot be cancelled now (Redis away) still ends by its time limit.
    const cancel = () => void this.cancel(run.id, requester).catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const ended = await ending;
      if (ended.result) return ended.result;
      const failure = ended.error ?? {
        code: 'client_gone' as const,
        message: 'The run was cancelled.',
      };
      if (failure.code === 'internal') throw new Error(failure.message);
      this.logger.warn(
        { event: 'run_refused', runId: run.id, reason: failure.code },
        `run refused: ${failure.message}`,
      );
      throw new DomainError(failure.code, failure.message, failure.retryAfterSeconds);
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  /** The run, if it exists and `requester` may see it; else run_not_found (404). */
  async get(id: string, requester: RunRequester): Promise<RunRecord> {
    const run = await this.store.get(id);
    if (!run || !visible(run, requester)) throw notFound(id);
    return run;
  }

  /**
   * Cancels a run: a queued one never starts, a running one is killed. Resolves with the run
   * as it then stands (one that had ended already is left as it was).
   */
  async cancel(id: string, requester: RunRequester): Promise<RunRecord> {
    await this.get(id, requester);
    let cancelled = false;
    const run = await this.store.update(id, (current) => {
      cancelled = !hasEnded(current); // (the store may call this more than once)
      return cancelled ? { ...current, status: 'cancelled', finishedAt: Date.now() } : undefined;
    });
    if (!run) throw notFound(id);
    if (cancelled) {
      this.dispatcher.cancel(id);
      this.callbacks.ended(run);
    }
    return run;
  }

  /**
   * The run's events (see RunEvents) after `after`, or all from the start, then live ones
   * until its `result`; run_not_found (404) as get(). For a run that had ended when asked
   * (`ended`), only what is stored, as nothing more will come: an empty iteration then means
   * the client has it all.
   */
  async follow(
    id: string,
    requester: RunRequester,
    options: { after?: string; signal?: AbortSignal } = {},
  ): Promise<{ events: AsyncIterable<RunEvent>; ended: boolean }> {
    const run = await this.get(id, requester);
    const ended = hasEnded(run);
    const events = this.events.follow(id, { ...options, ended });
    if (!ended || options.after !== undefined) return { events, ended };
    // An ended run's events end with its result (written with the end); a run whose events
    // are gone (expired a moment before its record) still gets its result.
    const withResult = async function* (): AsyncIterable<RunEvent> {
      let resultSeen = false;
      for await (const event of events) {
        resultSeen ||= event.type === 'result';
        yield event;
      }
      if (!resultSeen) {
        yield { id: 'result', type: 'result', data: JSON.stringify(runView(run)) };
      }
    };
    return { events: withResult(), ended };
  }

  /** Live stdin of an interactive run, from the client that started it (the WebSocket). */
  async writeInput(id: string, data: string): Promise<void> {
    await this.input.write(id, data);
  }

  /** Ends an interactive run's stdin: the program reads end of file. */
  async closeInput(id: string): Promise<void> {
    await this.input.close(id);
  }
}

function visible(run: RunRecord, requester: RunRequester): boolean {
  return run.owner === null || run.owner === requester.client;
}

function notFound(id: string): DomainError {
  return new DomainError(
    'run_not_found',
    `No run ${id}: it never existed, it expired (runs are kept RUN_RESULT_TTL_S after they end), or it belongs to another API key.`,
  );
}
