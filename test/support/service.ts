import { RUNTIMES } from '../../src/runtimes/runtime-catalogue.js';
import Docker from 'dockerode';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { CONTAINER_LABELS } from '../../src/sandbox/container-labels.js';
import { logged } from './logs.js';
import { until } from './until.js';

/** The real engine, for tests that inspect what the service left on it. */
export const docker = new Docker();

const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'src', 'main.js');
/** The same app with faults injected (fault-harness.mjs), started when env has HARNESS_FAULTS. */
const FAULT_HARNESS = join(import.meta.dirname, 'fault-harness.mjs');
const READY_LINE = /listening on (http:\/\/\S+) .*instance (\S+)/;

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The instance id the service puts on its containers' labels. */
  instanceId: string;
  process: ChildProcess;
  /** Everything the service printed so far. */
  logs(): string;
  /** Containers of this instance that still exist on the engine. */
  containers(): Promise<Docker.ContainerInfo[]>;
  /**
   * Containers this instance left behind: every container that received a program and still
   * exists, and any that is not a running pool container; polled until the removals the
   * service does after answering have had time to finish. Empty when nothing was left behind.
   */
  leftovers(): Promise<Docker.ContainerInfo[]>;
  /** The same, right now, without waiting for removals (to see a program's container while it runs). */
  leftoversNow(): Promise<Docker.ContainerInfo[]>;
  /** Sends a signal (default SIGTERM) and waits for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** SANDBOX_POOL_SIZES that leaves every runtime but python without a pool. */
export const ONLY_PYTHON_POOLED = RUNTIMES.filter((runtime) => runtime.language !== 'python')
  .map((runtime) => `${runtime.language}=0`)
  .join(',');

/**
 * Starts the built service (dist/src/main.js, as `npm start` runs it) on a free port with
 * the environment plus `env`, and waits until it listens. Rate limiting is raised unless a
 * test sets it, so suites that send many requests test the sandbox, not the limiter. Only
 * python has a warm pool unless a test sets SANDBOX_POOL_SIZES: the suites of other runtimes
 * set their own, and the rest need not wait for seven more containers at every start.
 * With HARNESS_FAULTS in `env` it starts the fault harness instead (fault-harness.mjs).
 */
export async function startService(env: Record<string, string> = {}): Promise<RunningService> {
  const entry = env.HARNESS_FAULTS ? FAULT_HARNESS : MAIN;
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      RATE_LIMIT: '100000',
      SANDBOX_POOL_SIZES: ONLY_PYTHON_POOLED,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<{ url: string; instanceId: string }>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = READY_LINE.exec(output);
      if (match) resolve({ url: match[1], instanceId: match[2] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`service exited (${code}) before listening:\n${output}`)),
    );
    setTimeout(
      () => reject(new Error(`service did not listen within 20 s:\n${output}`)),
      20_000,
    ).unref();
  });
  const { url, instanceId } = await ready;
  return {
    url,
    instanceId,
    process: child,
    logs: () => output,
    containers: () => containersOf(instanceId),
    leftovers: () => leftoversOf(instanceId, () => output),
    leftoversNow: () => leftoversNow(instanceId, output),
    stop: async (signal = 'SIGTERM') => {
      // Already gone (exited, or killed by a signal, which leaves exitCode null).
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

export function containersOf(instanceId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: [`${CONTAINER_LABELS.instance}=${instanceId}`] },
  });
}

/** Whether a container is one of the pool's and still running (idle, or running a program). */
function isRunningPoolContainer(container: Docker.ContainerInfo): boolean {
  return container.Labels[CONTAINER_LABELS.pool] !== undefined && container.State === 'running';
}

/**
 * Ids of the containers the service sent programs to (of one request, if given), from its log
 * (event program_sent): pooled containers are made before any request, so only this entry
 * ties a request to its container.
 */
export function containersThatRan(logs: string, requestId?: string): string[] {
  const fields = requestId === undefined ? {} : { reqId: requestId };
  return logged(logs, { event: 'program_sent', ...fields })
    .map((entry) => entry.container)
    .filter((id) => typeof id === 'string');
}

/**
 * What a run left behind right now: every container that received a program and still exists
 * (known from the service's log, whatever its labels), and every container that is not a
 * running pool container (pool containers that never got a program are expected).
 */
export async function leftoversNow(
  instanceId: string,
  logs: string,
): Promise<Docker.ContainerInfo[]> {
  const ran = new Set(containersThatRan(logs));
  return (await containersOf(instanceId)).filter(
    (c) => ran.has(c.Id) || !isRunningPoolContainer(c),
  );
}

/** See RunningService.leftovers: polls for up to 10 s, for removals happen after the answer. */
export function leftoversOf(
  instanceId: string,
  logs: () => string,
): Promise<Docker.ContainerInfo[]> {
  return until(
    'no container left behind',
    () => leftoversNow(instanceId, logs()),
    (leftovers) => leftovers.length === 0,
    { withinMs: 10_000, onTimeout: 'return-last' },
  );
}
