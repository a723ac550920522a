/**
 * A second Docker engine for the row with two workers on two engines: the one at
 * BENCH_SCALE_SECOND_DOCKER_HOST if set; else, when the bench runs as root with `dockerd` on
 * PATH, a dockerd of the bench's own with its own socket, data root, exec root, pidfile and
 * cgroup parent (as test/support/private-engine.ts starts for the tests), which the teardown
 * stops (SIGTERM: it stops its containers and its containerd). Its data root
 * (/var/lib/docker-sce-bench-scale) is kept between runs so that the sandbox image is copied
 * into it only once. The shared engine is never stopped or reconfigured.
 */
import Docker from 'dockerode';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { waitUntil, type Teardown } from './teardown.js';

const NAME = 'sce-bench-scale';

export type SecondEngine = { dockerHost: string; docker: Docker } | { skipped: string };

/** A dockerode client for a DOCKER_HOST value (unix:// or tcp://, without TLS). */
export function dockerAt(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port) || 2375 });
}

export async function secondEngine(
  teardown: Teardown,
  configured: string | undefined,
): Promise<SecondEngine> {
  if (configured) return { dockerHost: configured, docker: dockerAt(configured) };
  if (process.getuid?.() !== 0) {
    return { skipped: 'not root, and BENCH_SCALE_SECOND_DOCKER_HOST is not set' };
  }
  const socket = `/run/dockerd-${NAME}.sock`;
  const dockerHost = `unix://${socket}`;
  const docker = new Docker({ socketPath: socket });
  const config = `/tmp/${NAME}-daemon.json`;
  writeFileSync(config, '{}\n');
  mkdirSync(`/var/lib/docker-${NAME}`, { recursive: true });
  const logFile = `/tmp/${NAME}-dockerd.log`;
  const log = openSync(logFile, 'a');
  // In a network namespace of its own (unshare execs dockerd: the same process): a dockerd
  // without a bridge (--bridge=none) deletes the host's docker0 as it starts, which the shared
  // engine's image builds need.
  const child = teardown.spawn(
    'the second engine',
    'unshare',
    [
      '--net',
      '--',
      'dockerd',
      `--host=${dockerHost}`,
      `--data-root=/var/lib/docker-${NAME}`,
      `--exec-root=/run/docker-${NAME}`,
      `--pidfile=/run/docker-${NAME}.pid`,
      `--config-file=${config}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      `--cgroup-parent=/${NAME}`,
    ],
    { stdio: ['ignore', log, log] },
    'SIGTERM',
  );
  child.once('error', () => undefined);
  try {
    await waitUntil(
      'the second engine to answer',
      async () => {
        if (child.pid === undefined || child.exitCode !== null) {
          throw new Error(`dockerd did not start or exited (${child.exitCode})`);
        }
        return docker.ping().then(
          () => true,
          () => false,
        );
      },
      { withinMs: 60_000, everyMs: 250, signal: teardown.signal },
    );
  } catch (error) {
    teardown.signal.throwIfAborted();
    return {
      skipped: `could not start a second dockerd: ${error instanceof Error ? error.message : String(error)} (see ${logFile})`,
    };
  }
  return { dockerHost, docker };
}

/** Copies `image` from the `from` engine to the `to` engine unless it is there already. */
export async function copyImage(from: Docker, to: Docker, image: string): Promise<boolean> {
  try {
    await to.getImage(image).inspect();
    return false;
  } catch {
    // not there yet
  }
  const load = await to.loadImage(await from.getImage(image).get());
  await new Promise<void>((resolve, reject) => {
    to.modem.followProgress(load, (error: Error | null) => (error ? reject(error) : resolve()));
  });
  return true;
}
