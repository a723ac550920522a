/**
 * The bench's own Redis (Debian's `redis-server`): a free port on 127.0.0.1 and a temporary
 * directory, both removed again by the teardown, so no other Redis on the machine is touched.
 * AOF on with the given fsync policy and RDB snapshots off; `always` (fsync every write before
 * answering, so no accepted run is lost even by a crash of the machine) is what a deployment
 * that loses nothing pays per run. A small equivalent of test/support/redis.ts, which the build
 * of scripts/ does not include.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitUntil, type Teardown } from './teardown.js';

export interface BenchRedis {
  url: string;
  pid: number;
}

export async function startRedis(teardown: Teardown, appendfsync: string): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sce-bench-redis-'));
  teardown.add('remove the Redis directory', () =>
    Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  );
  const port = await freePort();
  const child = teardown.spawn(
    'Redis',
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'],
      ...['--dir', dir, '--logfile', join(dir, 'redis.log')],
      ...['--appendonly', 'yes', '--appendfsync', appendfsync, '--save', ''],
    ],
    { stdio: 'ignore' },
  );
  child.once('error', () => undefined);
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil(
    'Redis to answer PING',
    async () => {
      if (child.pid === undefined || child.exitCode !== null) {
        throw new Error(`redis-server did not start (on PATH?); see ${join(dir, 'redis.log')}`);
      }
      return answersPing(url);
    },
    { withinMs: 30_000, everyMs: 50, signal: teardown.signal },
  );
  return { url, pid: child.pid! };
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A TCP port free on 127.0.0.1 now (the kernel's choice). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}
