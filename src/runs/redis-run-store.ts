import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_CONNECTION, redisUnavailable } from '../redis/index.js';
import { transitionEvent } from './run-events.js';
import { hasEnded, type RunRecord } from './run-record.js';
import { runEventsChannel, runEventsKey } from './redis-run-events.js';
import type { EndedOptions, RunStore } from './run-store.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/** Where a run is kept: its RunRecord as JSON. */
export function runKey(id: string): string {
  return `sce:run:${id}`;
}

/** The channel on which every run that ends is published: its record, as JSON. */
export const RUN_ENDED_CHANNEL = 'sce:run-ended';

/**
 * How long a run not yet ended may stay: a safety net, so a record whose worker and queue
 * both lost it can never stay for ever. Seven days is far beyond any wait in the queue.
 */
export const UNENDED_RUN_TTL_S = 7 * 24 * 3600;

/** How many times update() reads and tries to write again when another writer came between. */
const UPDATE_ATTEMPTS = 20;

/**
 * update()'s write: a compare-and-set. KEYS[1] the run's key, KEYS[2] its events (a stream);
 * ARGV: the SHA-1 of the JSON the change was computed from, the new JSON, the result TTL in
 * seconds if this write ends the run (else 0), the channel of ends, the event the change
 * announces (type, or '' for none; data; the run's events channel; the TTL of a new stream).
 * Replies -1 when the run is gone, 0 when another writer changed it since it was read (the
 * caller reads again), 1 when written. The event is appended and announced in the same atomic
 * step (so the `result` event is always there once the run has ended). Ending the run sets the
 * TTL of results, on the record and its events, and publishes the new record on the channel of
 * ends (so a waiter needs no read); any other write keeps the TTL.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if redis.sha1hex(current) ~= ARGV[1] then return 0 end
if ARGV[5] ~= '' then
  local id = redis.call('XADD', KEYS[2], '*', 't', ARGV[5], 'd', ARGV[6])
  if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ARGV[8]) end
  redis.call('PUBLISH', ARGV[7], id .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[6])
end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('PUBLISH', ARGV[4], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 1
`;

/** The shared connection with the script defined on it (ioredis's defineCommand). */
type ScriptedRedis = Redis & {
  sceRunCompareAndSet(
    key: string,
    eventsKey: string,
    expectedSha1: string,
    next: string,
    endTtlS: number,
    channel: string,
    eventType: string,
    eventData: string,
    eventsChannel: string,
    eventsTtlS: number,
  ): Promise<number>;
};

interface Waiter {
  resolve(run: RunRecord): void;
  reject(error: unknown): void;
  /** Its caller creates the run: no record (yet) is no error. */
  creating: boolean;
}

/**
 * The distributed mode's RunStore: each run at `sce:run:<id>` in Redis, shared by every API
 * and worker process. A run not yet ended expires after UNENDED_RUN_TTL_S at the latest; once
 * it ends, RUN_RESULT_TTL_S after its end. Every Redis failure becomes `redis_unavailable`
 * (503 with Retry-After); a frozen Redis fails a call only if the connection has a
 * `commandTimeout`.
 *
 * update() is optimistic: read, run `change` in Node, then write with a compare-and-set Lua
 * script that writes only if the record is still the one `change` saw, else read again (at
 * most UPDATE_ATTEMPTS times, with a short random pause). Not WATCH/MULTI/EXEC: WATCH belongs
 * to a connection, and this store shares one connection among all concurrent calls, so one
 * call's EXEC (or the UNWATCH that every EXEC implies) would drop another call's WATCH and let
 * it overwrite a newer record unchecked. The script needs no connection of its own. `change`
 * may therefore be called more than once; only its last call's result is stored. Updates of
 * one id in this process are also chained one after another, so only other processes' writes
 * can conflict, and the retry bound holds even when one process updates a run many times at once.
 * ended() listens on one subscriber connection per store (a duplicate of the shared one,
 * opened at the first wait), on which every end is published with its record. It subscribes
 * before it reads the run, so an end between the two is not missed; after every reconnect it subscribes again
 * (ioredis resubscribes by itself too) and reads each awaited run, so an end published while
 * the subscriber was away is not missed either. A run its caller is about to create is not read
 * at all while the subscriber listens (POST /run: its end can only come later, as a message).
 */
@Injectable()
export class RedisRunStore implements RunStore, OnApplicationShutdown {
  private readonly redis: ScriptedRedis;
  private readonly resultTtlS: number;
  /** Callers of ended() by run id. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The last update of each id this process has under way (they run one after another). */
  private readonly updating = new Map<string, Promise<unknown>>();
  private subscriber: Redis | undefined;
  private subscription: Promise<void> | undefined;
  /** The subscriber listens, with no gap since it subscribed: `creating` waiters need no read. */
  private listening = false;
  private closed = false;

  constructor(
    @Inject(REDIS_CONNECTION) redis: Redis,
    @Inject(RUNS_CONFIG.token) config: RunsConfig,
  ) {
    this.resultTtlS = config.RUN_RESULT_TTL_S;
    if (!('sceRunCompareAndSet' in redis)) {
      redis.defineCommand('sceRunCompareAndSet', { numberOfKeys: 2, lua: COMPARE_AND_SET });
    }
    this.redis = redis as ScriptedRedis;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const [id, waiters] of this.waiters) {
      for (const waiter of waiters) waiter.reject(new Error(`the run store closed (run ${id})`));
    }
    this.waiters.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  async create(run: RunRecord): Promise<void> {
    const ttl = hasEnded(run) ? this.resultTtlS : UNENDED_RUN_TTL_S;
    await this.redis.set(runKey(run.id), JSON.stringify(run), 'EX', ttl).catch(redisUnavailable);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const json = await this.redis.get(runKey(id)).catch(redisUnavailable);
    return json === null ? undefined : (JSON.parse(json) as RunRecord);
  }

  update(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
    believed?: RunRecord,
  ): Promise<RunRecord | undefined> {
    const previous = this.updating.get(id) ?? Promise.resolve();
    const update = previous.then(
      () => this.compareAndSet(id, change, believed),
      () => this.compareAndSet(id, change, believed),
    );
    this.updating.set(id, update);
    const forget = () => {
      if (this.updating.get(id) === update) this.updating.delete(id);
    };
    void update.then(forget, forget);
    return update;
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(runKey(id), runEventsKey(id)).catch(redisUnavailable);
  }

  async ended(id: string, { signal, creating = false }: EndedOptions = {}): Promise<RunRecord> {
    signal?.throwIfAborted();
    if (this.closed) throw new Error(`the run store closed (run ${id})`);
    let waiter!: Waiter;
    const end = new Promise<RunRecord>(
      (resolve, reject) => (waiter = { resolve, reject, creating }),
    );
    const abort = () => waiter.reject(signal!.reason);
    signal?.addEventListener('abort', abort, { once: true });
    let waiters = this.waiters.get(id);
    if (!waiters) this.waiters.set(id, (waiters = new Set()));
    waiters.add(waiter);
    try {
      // Subscribed first, then read: an end after the read arrives as a message. A run about
      // to be created cannot have ended yet: while the subscriber listens, its end will come
      // as a message, and nothing need be read (one round trip less for every POST /run).
      if (!(creating && this.listening)) {
        void this.subscribed()
          .then(() => this.get(id))
          .then((run) => {
            if (!run && !creating) waiter.reject(noRun(id));
            else if (run && hasEnded(run)) waiter.resolve(run);
          })
          .catch((error: unknown) => waiter.reject(error));
      }
      return await end;
    } finally {
      signal?.removeEventListener('abort', abort);
      waiters.delete(waiter);
      if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
    }
  }

  /**
   * Publishes the end on the channel of ends, alone. Under `appendfsync always` Redis holds
   * every reply and message of a turn of its event loop that wrote anything until the
   * append-only file is synced; PUBLISH writes nothing to the file, so a turn that has only it
   * (as far as this connection goes: the caller stores the end once this answers) sends it on
   * at once. The waiters take the first word of an end; the stored end's comes later.
   */
  async announceEnd(run: RunRecord): Promise<void> {
    await this.redis.publish(RUN_ENDED_CHANNEL, JSON.stringify(run)).catch(redisUnavailable);
  }

  private async compareAndSet(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
    believed?: RunRecord,
  ): Promise<RunRecord | undefined> {
    // The caller's belief is tried first, as if read: if the run is no longer so, the script
    // says so (0) and the run is read. A record's JSON is the same string again once parsed
    // and stringified, so the belief's digest matches what is stored.
    let guess = believed && believed.id === id ? JSON.stringify(believed) : undefined;
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const guessed = guess !== undefined;
      const json = guess ?? (await this.redis.get(runKey(id)).catch(redisUnavailable));
      guess = undefined;
      if (json === null) return undefined;
      const current = JSON.parse(json) as RunRecord;
      const next = change(structuredClone(current));
      if (!next) {
        if (guessed) continue; // decided on a belief: decide again on what is stored
        return current;
      }
      const event = transitionEvent(current, next);
      const written = await this.redis
        .sceRunCompareAndSet(
          runKey(id),
          runEventsKey(id),
          createHash('sha1').update(json).digest('hex'),
          JSON.stringify(next),
          !hasEnded(current) && hasEnded(next) ? this.resultTtlS : 0,
          RUN_ENDED_CHANNEL,
          event?.type ?? '',
          event?.data ?? '',
          runEventsChannel(id),
          UNENDED_RUN_TTL_S,
        )
        .catch(redisUnavailable);
      if (written === 1) return structuredClone(next);
      if (written === -1) return undefined;
      // The belief was stale: read now. Or another process wrote between the read and the
      // write: a short random pause, so writers that keep meeting part, then read again.
      if (!guessed) await sleep(Math.random() * 5 * attempt);
    }
    throw new Error(
      `run ${id}: ${UPDATE_ATTEMPTS} attempts to update it each met a newer write by another process`,
    );
  }

  /** Resolves once the subscriber listens on RUN_ENDED_CHANNEL (opening it the first time). */
  private subscribed(): Promise<void> {
    if (!this.subscriber) {
      // Its own connection: one that subscribes may send nothing else. Commands wait for the
      // connection (it is only opening now) but fail after one failed reconnect, as the
      // shared connection's do.
      const subscriber = this.redis.duplicate({
        enableOfflineQueue: true,
        connectionName: 'sce-run-ended',
      });
      // The shared connection logs outages; this one would only repeat them.
      subscriber.on('error', () => undefined);
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === RUN_ENDED_CHANNEL) this.announced(message);
      });
      subscriber.on('ready', () => void this.reconnected());
      // Ends published from now on until it listens again are missed: reconnected() reads them.
      subscriber.on('close', () => (this.listening = false));
      this.subscriber = subscriber;
    }
    this.subscription ??= this.subscriber.subscribe(RUN_ENDED_CHANNEL).then(
      () => {
        this.listening = this.subscriber?.status === 'ready';
      },
      (error: unknown) => {
        this.subscription = undefined;
        redisUnavailable(error);
      },
    );
    return this.subscription;
  }

  /** An end published by any process: settles whoever here waits for that run. */
  private announced(message: string): void {
    let run: RunRecord;
    try {
      run = JSON.parse(message) as RunRecord;
    } catch {
      return; // not ours
    }
    if (!hasEnded(run)) return;
    for (const waiter of this.waiters.get(run.id) ?? []) waiter.resolve(structuredClone(run));
  }

  /**
   * After a (re)connect: subscribes again (its answer comes after ioredis's own resubscribe,
   * so from then on no end is missed), then reads every awaited run, for ends published while
   * the subscriber was away.
   */
  private async reconnected(): Promise<void> {
    if (!this.subscriber || !this.subscription) return; // (the first subscribe is under way)
    try {
      await this.subscriber.subscribe(RUN_ENDED_CHANNEL);
    } catch {
      return; // away again: the next 'ready' tries again
    }
    this.listening = this.subscriber.status === 'ready';
    await Promise.all([...this.waiters.keys()].map((id) => this.settle(id)));
  }

  /**
   * Reads a run some caller waits for, and settles the callers if it has ended (or is gone).
   * While the read fails (the shared connection may come back after the subscriber's), it
   * tries again, for as long as someone waits.
   */
  private async settle(id: string): Promise<void> {
    for (let pause = 100; this.waiters.has(id) && !this.closed; pause = Math.min(2 * pause, 2000)) {
      let run: RunRecord | undefined;
      try {
        run = await this.get(id);
      } catch {
        await sleep(pause, undefined, { ref: false });
        continue;
      }
      for (const waiter of this.waiters.get(id) ?? []) {
        if (!run && !waiter.creating) waiter.reject(noRun(id));
        else if (run && hasEnded(run)) waiter.resolve(structuredClone(run));
      }
      return;
    }
  }
}

function noRun(id: string): Error {
  return new Error(`no run ${id}`);
}
