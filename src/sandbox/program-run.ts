import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ContainerEngine, ContainerExit } from './engine/container-engine.js';
import { frameHead, frameTail, PROGRAM_START_MARKER } from './launcher/launcher.js';
import { toOutputFiles } from './output-files.js';
import type { ProgramEnd } from './launcher/program-end.js';
import { OutputCollector, type StreamName } from './output-collector.js';
import type { ReadyContainer } from './pool/ready-container.js';
import { toRunResult, type RunResult } from './run-result.js';
import type { SandboxPolicy } from './sandbox-policy.js';
import { EngineUnavailableError } from './sandbox.errors.js';

export interface Program {
  code: string;
  stdin?: string;
  /** A runtime of the catalogue (runtime-catalogue.ts) by its language name; python if unset. */
  language?: string;
  /** Its own limits, within the operator's caps; the runtime's defaults where unset. */
  limits?: { timeoutMs?: number; memoryMb?: number };
  /** Files placed in its working directory before it starts (names checked by the API). */
  files?: readonly InputFile[];
}

/** A file of a request, as JSON carries it. */
export interface InputFile {
  name: string;
  content: string;
  /** How `content` is written: `utf8` (the default) or `base64`. */
  encoding?: 'utf8' | 'base64';
}

/** A run's live side: its output as it comes, and stdin while it runs (interactive runs). */
export interface LiveProgramIO {
  /** Each piece of output as it is kept: the result's text, in order, under the same cap. */
  onOutput?: (stream: StreamName, text: string) => void;
  /**
   * Opens the program's live stdin, which follows `Program.stdin`; its end closes the program's
   * stdin. Opened anew for each container the program is sent to; `signal` aborts when the
   * program has ended, and the iteration should then end.
   */
  openInput?: (signal: AbortSignal) => AsyncIterable<string>;
}

/**
 * The limits of one run in its container, as SandboxService settles them from the runtime's
 * policy and the request.
 */
export interface RunPlan {
  /** The program's time limit, from its start (after its compilation). */
  timeoutMs: number;
  /** Memory the container is set to before the program is sent, if not what it has. */
  memoryBeforeBytes?: number;
  /**
   * Memory the container is set to after a compilation, before the program starts (the
   * compiler had its own): the launcher then waits for the service (a compile token).
   */
  memoryAfterCompileBytes?: number;
}

/** What one run in one container came to. */
export interface RunAttempt {
  result: RunResult;
  /** False when the container died before its program started (it may be run elsewhere). */
  programStarted: boolean;
  /** Whose word the verdict rests on: the launcher's end report, or the engine's record. */
  decidedBy: 'launcher' | 'engine';
}

/**
 * How long to wait for the engine to confirm an exit after a SIGKILL before giving up on it (an
 * answer of 503). It tells a dead engine from a slow one, and is no latency bound: a kill is
 * usually confirmed within about a second, but under gVisor a sandbox full of a fork bomb's
 * tasks once took more than 10 s on a slow, loaded machine.
 */
const KILL_GRACE_MS = 30_000;
/** Why `over` aborts (one object: nothing reads it). */
const PROGRAM_OVER = new Error('the program has ended');
/** How long to wait for the last output frames after the exit. */
const OUTPUT_DRAIN_MS = 1_000;
/**
 * The launcher kills the program at the time limit itself, to the millisecond; the service kills
 * the whole container this much later, for a launcher the program stopped or killed.
 */
const BACKSTOP_AFTER_LIMIT_MS = 100;
/** The engine's change of a container's memory between compilation and program, at most. */
const RESIZE_GRACE_MS = 2_000;
/**
 * After the launcher's end report, how long the container may take to exit by itself (the
 * engine sees an exit 20-35 ms after it happens, longer under load) before it is killed.
 */
const REPORTED_EXIT_GRACE_MS = 500;

/**
 * One program in one ready container, from the moment it is sent to its result. The steps of
 * `execute` read in order: collect output, send the program, enforce the limits, wait for the
 * end, settle the exit, and judge. Killing is the engine's SIGKILL to the whole container,
 * never a signal to a process the program could intercept.
 */
export class ProgramRun {
  private readonly endToken = randomBytes(16).toString('hex');
  /** Set when the launcher must say when the compilation is over (RunPlan.memoryAfterCompileBytes). */
  private readonly compileToken: string | undefined;
  private readonly collector: OutputCollector;
  /** Time between the end of the compilation and the program's go (the memory change). */
  private pausedMs = 0;
  /**
   * The launcher's end report, believed or not: its token proves it is the launcher's, so its
   * account of the compilation and of a kill at the time limit holds even where the exit
   * status is left to the engine (gVisor, whose OOM count the launcher cannot read).
   */
  private seenReport: ProgramEnd | undefined;
  private timedOut = false;
  private stoppedForOutput = false;
  /** Aborts when the program has ended: live stdin stops. */
  private readonly over = new AbortController();

  constructor(
    private readonly container: ReadyContainer,
    private readonly program: Program,
    private readonly engine: ContainerEngine,
    private readonly policy: SandboxPolicy,
    private readonly plan: RunPlan,
    private readonly signal?: AbortSignal,
    private readonly live: LiveProgramIO = {},
  ) {
    this.compileToken =
      plan.memoryAfterCompileBytes === undefined ? undefined : randomBytes(16).toString('hex');
    this.collector = new OutputCollector(
      policy.outputLimitBytes,
      () => {
        this.stoppedForOutput = true;
        this.kill();
      },
      PROGRAM_START_MARKER,
      this.endToken,
      live.onOutput,
      this.compileToken,
    );
  }

  async execute(): Promise<RunAttempt> {
    const outputEnded = this.collectOutput();
    if (this.plan.memoryBeforeBytes !== undefined) {
      // Before the clock starts: the program's memory is the request's, not the pool's.
      await this.engine.updateMemory(this.container.id, this.plan.memoryBeforeBytes);
    }
    const startedAt = this.sendProgram();
    const releaseLimits = this.enforceLimits();
    let reported: ProgramEnd | undefined;
    try {
      reported = await this.awaitEnd();
    } finally {
      releaseLimits();
      // With a reason of its own: abort() without one builds a DOMException and its stack,
      // a sixth of a millisecond of CPU for every run.
      this.over.abort(PROGRAM_OVER);
    }
    const seen = this.seenReport;
    const compileMs = seen?.compileMs ?? 0;
    const durationMs = performance.now() - startedAt - compileMs - this.pausedMs;
    const exit = await this.settleExit(reported, outputEnded);
    this.container.stream.destroy();
    const result = toRunResult({
      exit,
      timedOut: this.timedOut,
      stoppedForOutput: this.stoppedForOutput,
      output: this.collector.result(),
      durationMs: Math.max(durationMs, 0),
      compileFailed: seen?.ending === 'compile' && !this.stoppedForOutput,
      ...(this.policy.compileTimeoutMs > 0 ? { compileMs } : {}),
      ...(seen ? { cpuUs: seen.cpuUs, memoryPeakKb: seen.memoryPeakKb } : {}),
      ...toOutputFiles(this.collector.returnedFiles),
    });
    return {
      result,
      programStarted: this.collector.programStarted || this.timedOut,
      decidedBy: reported ? 'launcher' : 'engine',
    };
  }

  /** Feeds the attach stream to the collector; resolves when the stream ends. */
  private collectOutput(): Promise<unknown> {
    const { stream } = this.container;
    stream.on('data', (data: Buffer) => this.collector.write(data));
    return once(stream, 'end').catch(() => undefined);
  }

  /**
   * Writes the framed program to the launcher, which is already running, blocked reading
   * stdin: the program starts now, and so does its clock (time spent waiting in the pool is
   * nobody's). Returns the start time. With a compile token, the end token (which lets the
   * program start) follows only once the compilation is over and the container has the
   * program's memory.
   */
  private sendProgram(): number {
    const startedAt = performance.now();
    const head = frameHead(this.program.code, this.plan.timeoutMs, {
      compileToken: this.compileToken,
      files: (this.program.files ?? []).map((file) => ({
        name: file.name,
        data: Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8'),
      })),
      out: { maxFiles: this.policy.outMaxFiles, maxBytes: this.policy.outMaxBytes },
    });
    if (this.compileToken === undefined) {
      this.sendTail(head);
    } else {
      this.container.stream.write(head);
      void this.sendTailAfterCompile();
    }
    return startedAt;
  }

  /** The end token and stdin (after `before`), then live stdin or the end of stdin. */
  private sendTail(before?: Buffer): void {
    const tail = frameTail(this.endToken, this.program.stdin ?? '');
    const bytes = before ? Buffer.concat([before, tail]) : tail;
    const { openInput } = this.live;
    if (openInput) {
      this.container.stream.write(bytes);
      void this.relayInput(openInput(this.over.signal));
    } else {
      this.container.stream.end(bytes);
    }
  }

  /**
   * Waits for the launcher's word that the compilation is over; after a successful one, gives
   * the container the program's memory; then lets the program start. A container that ends
   * first (killed at a limit, for instance) needs nothing more.
   */
  private async sendTailAfterCompile(): Promise<void> {
    const exited = this.container.exited.then(
      () => undefined,
      () => undefined,
    );
    const verdict = await Promise.race([this.collector.compiled, exited]);
    if (verdict === undefined) return;
    const paused = performance.now();
    if (verdict === 'ok') {
      try {
        await this.engine.updateMemory(this.container.id, this.plan.memoryAfterCompileBytes!);
      } catch {
        // The program must not run with the compiler's memory: it does not run at all.
        this.kill();
        return;
      }
    }
    this.pausedMs = performance.now() - paused;
    this.sendTail();
  }

  /**
   * Interactive runs: relays live stdin into the container as it comes (the launcher passes it
   * on to the program's stdin), and closes stdin when the input ends. Stops when the program
   * ends; a stream that breaks meanwhile only ends the relay (the program's end decides).
   */
  private async relayInput(input: AsyncIterable<string>): Promise<void> {
    const { stream } = this.container;
    const ended = new Promise<void>((resolve) =>
      this.over.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    stream.on('error', () => undefined); // a write after the container's end: nothing to tell
    try {
      for await (const data of input) {
        if (this.over.signal.aborted) return;
        if (!stream.write(data)) await Promise.race([once(stream, 'drain'), ended]);
      }
      if (!this.over.signal.aborted) stream.end();
    } catch {
      // The input's source failed (its store went away): the program reads end of file.
      if (!this.over.signal.aborted) stream.end();
    }
  }

  /** Arms the time limit's backstop and the caller's abort; returns what disarms them. */
  private enforceLimits(): () => void {
    const timer = setTimeout(
      () => {
        this.timedOut = true;
        this.kill();
      },
      this.policy.compileTimeoutMs +
        this.plan.timeoutMs +
        BACKSTOP_AFTER_LIMIT_MS +
        this.resizeGraceMs,
    );
    const onAbort = () => this.kill();
    this.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.signal?.aborted) this.kill();
    return () => {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    };
  }

  /**
   * Waits for the program's end. The launcher's end report (on both streams; written by the
   * launcher's parent process with the program's real wait status, under a token the program
   * never holds) says the program is over and all its output is in, without waiting for the
   * engine to process the exit: how the program ended (by itself, or killed by the launcher at
   * the time limit) and whether the OOM killer fired anywhere in the container. It is believed
   * unless the output limit was passed (the service's kill then decides) or the launcher could
   * not read the OOM count (gVisor); otherwise, and when the launcher itself died (the service's
   * kill, the OOM killer), the engine decides. Returns the report when it is believed.
   */
  private async awaitEnd(): Promise<ProgramEnd | undefined> {
    const exitSeen = this.container.exited.then(() => undefined);
    exitSeen.catch(() => undefined); // a late failure after the report has nobody to tell
    const ended = await this.engineAnswer(Promise.race([exitSeen, this.collector.programEnded]));
    this.seenReport = ended;
    if (ended?.ending === 'time' && !this.stoppedForOutput) this.timedOut = true;
    if (ended !== undefined && ended.oomKills >= 0 && !this.stoppedForOutput) return ended;
    if (ended !== undefined) await this.engineAnswer(exitSeen);
    return undefined;
  }

  /** The exit as the verdict sees it: the believed report, or the engine's record. */
  private async settleExit(
    reported: ProgramEnd | undefined,
    outputEnded: Promise<unknown>,
  ): Promise<ContainerExit> {
    if (reported) {
      // The launcher exits right after its report, and with it the container's PID 1 and
      // everything the program left running. A container still up a moment later is killed
      // (its removal after the answer would kill it too); the engine is asked only then, as a
      // kill costs it about as much as a removal.
      withDeadline(this.container.exited, REPORTED_EXIT_GRACE_MS).catch(() => this.kill());
      return { exitCode: reported.exitCode, oomKilled: reported.oomKills > 0 };
    }
    await withDeadline(outputEnded, OUTPUT_DRAIN_MS).catch(() => undefined);
    return this.engine.inspectExit(this.container.id);
  }

  /** Room in the backstop for the memory change between compilation and program. */
  private get resizeGraceMs(): number {
    return this.compileToken === undefined ? 0 : RESIZE_GRACE_MS;
  }

  private kill(): void {
    void this.engine.kill(this.container.id).catch(() => undefined);
  }

  /**
   * Waits for the engine's word on a run, within the time limit plus the grace for a kill to
   * take effect: an engine that stays silent longer is an unavailable engine.
   */
  private engineAnswer<T>(answer: Promise<T>): Promise<T> {
    const limitMs = this.policy.compileTimeoutMs + this.plan.timeoutMs + this.resizeGraceMs;
    return withDeadline(answer, limitMs + KILL_GRACE_MS).catch((error: unknown) => {
      if (error instanceof DeadlineExceededError) {
        throw new EngineUnavailableError('it did not confirm that a killed container exited');
      }
      throw error;
    });
  }
}

class DeadlineExceededError extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
