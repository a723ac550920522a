import type { Duplex } from 'node:stream';
import type { ContainerEngine, ContainerSpec } from '../engine/container-engine.js';
import type { ContainerDisposer } from './container-disposer.js';

/**
 * A created and started container whose launcher is blocked reading its program from stdin.
 * Attached before start (the engine delivers a container's streams reliably only to attaches
 * made before it starts) and watched for its exit since before start.
 */
export interface ReadyContainer {
  readonly id: string;
  /** stdin in, multiplexed stdout and stderr out. */
  readonly stream: Duplex;
  /** Settles when the container exits (or the engine drops the connection). */
  readonly exited: Promise<void>;
  /** True when it was taken from the pool, false when it was made for the run that holds it. */
  readonly pooled: boolean;
}

/**
 * Creates, attaches to and starts one container. The attach and the exit watch are made
 * before start; the launcher then blocks reading stdin, so the container waits without using
 * CPU. If a step fails the container is handed to the disposer (it would otherwise stay
 * behind, created but never started).
 */
export async function prepareContainer(
  engine: ContainerEngine,
  disposer: ContainerDisposer,
  spec: ContainerSpec,
  pooled: boolean,
): Promise<ReadyContainer> {
  const id = await engine.create(spec);
  let stream: Duplex | undefined;
  try {
    stream = await engine.attach(id);
    stream.on('error', () => undefined); // a broken attach shows up as missing output, not a crash
    const exited = engine.waitForExit(id);
    exited.catch(() => undefined); // observed by whoever holds the container
    await engine.start(id);
    return { id, stream, exited, pooled };
  } catch (error) {
    stream?.destroy();
    disposer.dispose(id);
    throw error;
  }
}
