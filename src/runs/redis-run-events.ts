import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS_CONNECTION, redisUnavailable } from '../redis/index.js';
import type { StreamName } from '../sandbox/index.js';
import type { FollowOptions, RunEvent, RunEventType, RunEvents } from './run-events.js';

/** A run's events: a Redis stream, entries `{t: type, d: data}`. */
export function runEventsKey(runId: string): string {
  return `sce:run:${runId}:events`;
}

/** Where each new event of a run is announced: `<stream id>\n<type>\n<data>`. */
export function runEventsChannel(runId: string): string {
  return `sce:run-events:${runId}`;
}

/** How long events of a run not yet ended may stay (as its record: a safety net). */
const UNENDED_EVENTS_TTL_S = 7 * 24 * 3600;

/**
 * Appends one event and announces it, in one atomic step. KEYS[1] the run's events; ARGV: type,
 * data, channel, TTL for a new stream. A stream that has its TTL keeps it (its run's end set it).
 */
const APPEND_EVENT = `
local id = redis.call('XADD', KEYS[1], '*', 't', ARGV[1], 'd', ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
redis.call('PUBLISH', ARGV[3], id .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
return id
`;

type ScriptedRedis = Redis & {
  sceRunAppendEvent(
    key: string,
    type: string,
    data: string,
    channel: string,
    ttlS: number,
  ): Promise<string>;
};

/** A follower's inbox: events announced while it reads, or word to read the stream again. */
class Inbox {
  private readonly items: (RunEvent | 'reread')[] = [];
  private wake: (() => void) | undefined;

  push(item: RunEvent | 'reread'): void {
    this.items.push(item);
    this.wake?.();
  }

  async next(signal?: AbortSignal): Promise<RunEvent | 'reread' | undefined> {
    while (this.items.length === 0) {
      if (signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = undefined;
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    return this.items.shift();
  }
}

/**
 * The distributed mode's RunEvents: each run's events in a Redis stream (`sce:run:<id>:events`,
 * expiring with the run's record), every new one announced on the run's channel. A follower
 * subscribes to the channel first, then reads the stream from where it stands (XRANGE), then
 * takes the announced events that are newer than the last it read: nothing is missed, nothing
 * is told twice. After the subscriber reconnects, every follower reads the stream again from its
 * last event (announcements sent while it was away are lost; the stream has them). One
 * subscriber connection per process, subscribed to the channels of the runs followed here.
 */
@Injectable()
export class RedisRunEvents implements RunEvents, OnApplicationShutdown {
  private readonly redis: ScriptedRedis;
  private subscriber: Redis | undefined;
  private readonly inboxes = new Map<string, Set<Inbox>>();

  constructor(@Inject(REDIS_CONNECTION) redis: Redis) {
    if (!('sceRunAppendEvent' in redis)) {
      redis.defineCommand('sceRunAppendEvent', { numberOfKeys: 1, lua: APPEND_EVENT });
    }
    this.redis = redis as ScriptedRedis;
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  async output(runId: string, stream: StreamName, data: string): Promise<void> {
    // Sent on the shared connection at once, so it keeps its place before the run's end (ioredis
    // sends a script's text on each new connection; only after a SCRIPT FLUSH would it send
    // the script again, later, and a follower, which stops at `result`, would not see it).
    await this.redis
      .sceRunAppendEvent(
        runEventsKey(runId),
        stream,
        JSON.stringify({ data }),
        runEventsChannel(runId),
        UNENDED_EVENTS_TTL_S,
      )
      .catch(redisUnavailable);
  }

  async *follow(
    runId: string,
    { after, signal, ended }: FollowOptions = {},
  ): AsyncIterable<RunEvent> {
    signal?.throwIfAborted();
    const inbox = new Inbox();
    let inboxes = this.inboxes.get(runId);
    if (!inboxes) this.inboxes.set(runId, (inboxes = new Set()));
    inboxes.add(inbox);
    let last = after !== undefined && /^\d+-\d+$/.test(after) ? after : '0-0';
    try {
      await this.listen(runId);
      for (;;) {
        // Read the stream past the last event told (at the start, and after a reconnect).
        const entries = await this.redis
          .xrange(runEventsKey(runId), `(${last}`, '+')
          .catch(redisUnavailable);
        for (const [id, fields] of entries) {
          const event = toEvent(id, fields);
          last = id;
          yield event;
          if (event.type === 'result') return;
        }
        if (ended) return;
        for (;;) {
          const item = await inbox.next(signal);
          if (item === undefined) return; // aborted
          if (item === 'reread') break;
          if (compareIds(item.id, last) <= 0) continue;
          last = item.id;
          yield item;
          if (item.type === 'result') return;
        }
      }
    } finally {
      inboxes.delete(inbox);
      if (inboxes.size === 0 && this.inboxes.get(runId) === inboxes) {
        this.inboxes.delete(runId);
        void this.subscriber?.unsubscribe(runEventsChannel(runId)).catch(() => undefined);
      }
    }
  }

  /** Subscribes to the run's channel (opening the subscriber the first time). */
  private async listen(runId: string): Promise<void> {
    if (!this.subscriber) {
      const subscriber = this.redis.duplicate({
        enableOfflineQueue: true,
        connectionName: 'sce-run-events',
      });
      subscriber.on('error', () => undefined); // the shared connection logs outages
      subscriber.on('message', (channel: string, message: string) =>
        this.announced(channel, message),
      );
      // ioredis subscribes again by itself; what was announced meanwhile is read again.
      subscriber.on('ready', () => {
        for (const inboxes of this.inboxes.values()) {
          for (const inbox of inboxes) inbox.push('reread');
        }
      });
      this.subscriber = subscriber;
    }
    await this.subscriber.subscribe(runEventsChannel(runId)).catch(redisUnavailable);
  }

  /** An event announced on a run's channel: to each follower of that run here. */
  private announced(channel: string, message: string): void {
    const runId = channel.slice(runEventsChannel('').length);
    const [id, type, ...data] = message.split('\n');
    const event: RunEvent = { id, type: type as RunEventType, data: data.join('\n') };
    for (const inbox of this.inboxes.get(runId) ?? []) inbox.push(event);
  }
}

function toEvent(id: string, fields: string[]): RunEvent {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]] = fields[i + 1];
  return { id, type: values.t as RunEventType, data: values.d ?? '{}' };
}

/** Orders two stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}
