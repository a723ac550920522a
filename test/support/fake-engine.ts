import { Duplex } from 'node:stream';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSpec,
  ContainerSummary,
} from '../../src/sandbox/engine/container-engine.js';
import { END_TOKEN_LENGTH, PROGRAM_START_MARKER } from '../../src/sandbox/launcher/launcher.js';
import {
  EngineUnavailableError,
  SandboxContainerLostError,
} from '../../src/sandbox/sandbox.errors.js';
import { frame } from './docker-frames.js';

/** The end token in a framed program (`<byte length> <limit>\n<source><token><stdin>`, launcher.ts). */
function endTokenOf(received: Buffer): string {
  const newline = received.indexOf('\n');
  const start = newline + 1 + Number(received.subarray(0, newline).toString().split(' ')[0]);
  return received.subarray(start, start + END_TOKEN_LENGTH).toString('latin1');
}

/** What a fake container does when its program arrives (its stdin ends). */
export interface ContainerScript {
  /** 'runs' (default): start marker, output, exit; 'dead': it had died before (no output, 137); 'hangs': start marker and output, then only a kill ends it. */
  behaviour?: 'runs' | 'dead' | 'hangs';
  /** Frames of Docker's stream (docker-frames.ts) written after the start marker. */
  output?: Buffer[];
  exitCode?: number;
  oomKilled?: boolean;
  /**
   * Writes the launcher's end report with these values, then keeps running like a daemon
   * (unless `exitsAfterReport`: it exits as the real launcher does).
   */
  report?: { exitCode: number; oomKills: number; ending?: 'exit' | 'time' };
  exitsAfterReport?: boolean;
  /** start() rejects with this. */
  failStart?: Error;
  /** The container vanishes: inspectExit rejects as for a container removed from outside. */
  lost?: boolean;
}

export interface FakeContainer {
  spec: ContainerSpec;
  labels: Record<string, string>;
  state: 'created' | 'running' | 'exited';
  /** What the service wrote to the container's stdin. */
  received: Buffer;
  /** Ends the container as the engine would see it (killed from outside, died). */
  exit(): void;
}

/**
 * An in-memory ContainerEngine for unit tests: records every call, runs scripted containers,
 * and can be taken down (`down`) to play an engine outage.
 */
export class FakeEngine implements ContainerEngine {
  /** `create c1`, `attach c1`, `wait c1`, `start c1`, `kill c1`, `remove c1`, in order. */
  readonly calls: string[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly removed: string[] = [];
  readonly killed: string[] = [];
  /** Scripts of the next containers created, in order; then `defaultScript`. */
  readonly scripts: ContainerScript[] = [];
  /** While true, every call fails as for an unreachable engine. */
  down = false;
  /** While true, remove() fails (the engine answers, but the container stays). */
  failRemovals = false;
  private next = 0;
  private readonly exits = new Map<string, Promise<void>>();
  private readonly streams = new Map<string, Duplex>();
  private readonly scriptOf = new Map<string, ContainerScript>();
  private readonly exitCodes = new Map<string, number>();

  constructor(private readonly defaultScript: ContainerScript = {}) {}

  private check(): void {
    if (this.down) throw new EngineUnavailableError('connect ENOENT /var/run/docker.sock');
  }

  ping = () => Promise.resolve();
  imageExists: (image: string) => Promise<boolean> = () => Promise.resolve(true);
  loadImages: (archive: NodeJS.ReadableStream) => Promise<void> = () => Promise.resolve();
  runtimes = () => Promise.resolve(['runc']);

  create(spec: ContainerSpec): Promise<string> {
    this.check();
    const id = `c${++this.next}`;
    let resolveExit: () => void = () => undefined;
    this.exits.set(id, new Promise<void>((resolve) => (resolveExit = resolve)));
    const container: FakeContainer = {
      spec,
      labels: spec.labels,
      state: 'created',
      received: Buffer.alloc(0),
      exit: () => {
        if (container.state === 'exited') return;
        container.state = 'exited';
        this.streams.get(id)?.push(null);
        resolveExit();
      },
    };
    this.containers.set(id, container);
    this.scriptOf.set(id, this.scripts.shift() ?? this.defaultScript);
    this.calls.push(`create ${id}`);
    return Promise.resolve(id);
  }

  attach(id: string): Promise<Duplex> {
    this.check();
    this.calls.push(`attach ${id}`);
    const chunks: Buffer[] = [];
    const stream: Duplex = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done) => {
        chunks.push(chunk);
        done();
      },
      final: (done) => {
        const container = this.containers.get(id);
        if (container) container.received = Buffer.concat(chunks);
        this.programArrived(id, stream);
        done();
      },
    });
    this.streams.set(id, stream);
    return Promise.resolve(stream);
  }

  private programArrived(id: string, stream: Duplex): void {
    const container = this.containers.get(id);
    const script = this.scriptOf.get(id) ?? {};
    if (!container || container.state === 'exited') return;
    if (script.behaviour === 'dead') {
      this.exitCodes.set(id, 137);
      container.exit();
      return;
    }
    stream.push(frame(1, Buffer.from([PROGRAM_START_MARKER])));
    for (const part of script.output ?? []) stream.push(part);
    if (script.report) {
      const token = endTokenOf(container.received);
      const { exitCode, oomKills, ending = 'exit' } = script.report;
      const report = `\x1eSCE-END ${token} ${exitCode} ${oomKills} ${ending} 0 -1 -1\x1e`;
      stream.push(frame(1, report));
      stream.push(frame(2, report));
      if (script.exitsAfterReport) {
        this.exitCodes.set(id, exitCode);
        setImmediate(() => container.exit());
      }
      return;
    }
    if (script.behaviour === 'hangs') return;
    this.exitCodes.set(id, script.exitCode ?? 0);
    setImmediate(() => container.exit());
  }

  start(id: string): Promise<void> {
    this.check();
    this.calls.push(`start ${id}`);
    const failure = this.scriptOf.get(id)?.failStart;
    if (failure) return Promise.reject(failure);
    const container = this.containers.get(id);
    if (container) container.state = 'running';
    return Promise.resolve();
  }

  waitForExit(id: string): Promise<void> {
    this.check();
    this.calls.push(`wait ${id}`);
    return this.exits.get(id) ?? Promise.resolve();
  }

  inspectExit(id: string): Promise<ContainerExit> {
    this.check();
    this.calls.push(`inspect ${id}`);
    if (this.scriptOf.get(id)?.lost || !this.containers.has(id)) {
      return Promise.reject(new SandboxContainerLostError(id));
    }
    return Promise.resolve({
      exitCode: this.exitCodes.get(id) ?? null,
      oomKilled: this.scriptOf.get(id)?.oomKilled ?? false,
    });
  }

  /** Memory limits set after creation, by container. */
  readonly memoryUpdates = new Map<string, number>();
  /** Rejects every updateMemory, as gVisor's runtime does. */
  refuseUpdates = false;

  updateMemory(id: string, memoryBytes: number): Promise<void> {
    this.check();
    this.calls.push(`update ${id} ${memoryBytes}`);
    if (this.refuseUpdates) return Promise.reject(new Error('runsc cannot update a container'));
    this.memoryUpdates.set(id, memoryBytes);
    return Promise.resolve();
  }

  kill(id: string): Promise<void> {
    this.calls.push(`kill ${id}`);
    this.killed.push(id);
    const container = this.containers.get(id);
    if (container && container.state !== 'exited') {
      this.exitCodes.set(id, 137);
      setImmediate(() => container.exit());
    }
    return Promise.resolve();
  }

  remove(id: string): Promise<void> {
    this.check();
    if (this.failRemovals) {
      return Promise.reject(new EngineUnavailableError('the engine did not remove it'));
    }
    this.calls.push(`remove ${id}`);
    this.removed.push(id);
    this.containers.get(id)?.exit();
    this.containers.delete(id);
    return Promise.resolve();
  }

  list(labels: Record<string, string> = {}): Promise<ContainerSummary[]> {
    this.check();
    const matches = [...this.containers].filter(([, c]) =>
      Object.entries(labels).every(([key, value]) => c.labels[key] === value),
    );
    return Promise.resolve(matches.map(([id, c]) => ({ id, labels: c.labels, state: c.state })));
  }

  /** Ids of containers that exist and run. */
  running(): string[] {
    return [...this.containers].filter(([, c]) => c.state === 'running').map(([id]) => id);
  }
}
