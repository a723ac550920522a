import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.js';

/** A reply of Redis's protocol (RESP2): simple or bulk string, integer, nil, or an array. */
export type RedisReply = string | number | null | RedisReply[];

/**
 * A Redis server of the tests' own (Debian's `redis-server`, which .ci/run installs): its own
 * free port on 127.0.0.1 and its own temporary directory, so tests may stop, kill, restart and
 * freeze it without touching any other Redis on the machine. Not daemonized: this process holds
 * the server's ChildProcess, signals it directly and sees it exit.
 *
 * Durability: `--appendonly yes --appendfsync always` makes Redis append every write to its
 * AOF and fsync it before it answers, so no write Redis acknowledged is lost by a kill -9
 * (restart({hard: true}) replays the AOF), nor even by a crash of the machine; the default
 * `everysec` may lose up to about two seconds of writes. `--save ''` turns RDB snapshots off,
 * so the AOF is the only thing a restart reads. The cost is one fsync per write.
 */
export class PrivateRedis {
  /** Holds the AOF (appendonlydir/) and redis.log; kept across restarts, removed by dispose(). */
  readonly dir = mkdtempSync(join(tmpdir(), 'sce-redis-'));
  private chosenPort: number | undefined;
  private process: ChildProcess | undefined;

  /** The port, fixed by the first start() and kept by every restart. */
  get port(): number {
    if (this.chosenPort === undefined) throw new Error('the private Redis was never started');
    return this.chosenPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server and waits until it answers PING (after replaying its AOF, if any). */
  async start(): Promise<void> {
    if (this.process) throw new Error('the private Redis is already running');
    this.chosenPort ??= await freePort();
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(this.chosenPort), '--bind', '127.0.0.1'],
        ...['--dir', this.dir, '--logfile', join(this.dir, 'redis.log')],
        ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
        ...['--daemonize', 'no'],
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    // A failed spawn (no redis-server on PATH) emits 'error', not 'exit'.
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    await until(
      'the private Redis to answer PING',
      async () => {
        if (spawnError || child.exitCode !== null || child.signalCode !== null) {
          this.process = undefined;
          throw new Error(
            `redis-server did not start (${spawnError?.message ?? `exit ${child.exitCode ?? child.signalCode}`}); see ${join(this.dir, 'redis.log')}`,
          );
        }
        // Redis answers -LOADING while it replays the AOF: only PONG means ready.
        return redisCommand(this.url, ['PING'], { timeoutMs: 1000 }).then(
          (reply) => reply === 'PONG',
          () => false,
        );
      },
      Boolean,
      { withinMs: 30_000, everyMs: 50 },
    );
  }

  /**
   * Stops Redis gracefully (SIGTERM: Redis fsyncs the AOF and exits, as on SHUTDOWN) and waits
   * for the process to end.
   */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  /** Kills Redis at once (SIGKILL, a crash as far as Redis knows) and waits for the process to end. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** Stops (or, with hard, kills) Redis, then starts it on the same port and directory. */
  async restart({ hard = false }: { hard?: boolean } = {}): Promise<void> {
    await (hard ? this.kill() : this.stop());
    await this.start();
  }

  /** Freezes Redis (SIGSTOP): its port still accepts connections, but nothing answers. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** Kills Redis if it still runs and removes its directory. The instance is done with. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Sends one command to this Redis and returns its reply. */
  command(...args: string[]): Promise<RedisReply> {
    return redisCommand(this.url, args);
  }

  private async end(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    // A frozen process would hold a SIGTERM pending until it is continued (SIGKILL needs no help).
    if (signal === 'SIGTERM') child.kill('SIGCONT');
    await exited;
  }
}

/**
 * Sends one command over a fresh connection and reads one reply. A few lines of RESP rather
 * than a client library: the tests' own Redis needs only a probe and a few reads and writes.
 * Rejects with the server's error text on an error reply, and after timeoutMs without a reply.
 */
export async function redisCommand(
  url: string,
  args: string[],
  { timeoutMs = 5000 }: { timeoutMs?: number } = {},
): Promise<RedisReply> {
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port) });
  try {
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`Redis at ${url} did not answer ${args[0]} within ${timeoutMs} ms`)),
    );
    socket.write(
      `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
    );
    let received = Buffer.alloc(0);
    for await (const chunk of socket) {
      received = Buffer.concat([received, chunk as Buffer]);
      const parsed = parseReply(received, 0);
      if (parsed) return parsed.reply;
    }
    throw new Error(`Redis at ${url} closed the connection before answering ${args[0]}`);
  } finally {
    socket.destroy();
  }
}

/** One RESP2 reply from `at`, or undefined while the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, at: number): { reply: RedisReply; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd < 0) return undefined;
  const line = buffer.toString('utf8', at + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (String.fromCharCode(buffer[at])) {
    case '+':
      return { reply: line, next: afterLine };
    case '-':
      throw new Error(line);
    case ':':
      return { reply: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return {
        reply: buffer.toString('utf8', afterLine, afterLine + length),
        next: afterLine + length + 2,
      };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, next: afterLine };
      const items: RedisReply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (!item) return undefined;
        items.push(item.reply);
        next = item.next;
      }
      return { reply: items, next };
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buffer.toString('utf8', at, lineEnd))}`);
  }
}

/** A TCP port free on 127.0.0.1 right now (the kernel picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
