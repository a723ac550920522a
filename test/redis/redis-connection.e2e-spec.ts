import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connectRedis } from '../../src/redis/index.js';
import { PrivateRedis } from '../support/redis.js';

type Writev = (chunks: { chunk: unknown }[], callback: (error?: Error | null) => void) => void;

/** The service's shared connection against a real redis-server: how its commands leave. */
describe('connectRedis', () => {
  const redis = new PrivateRedis();
  const connections: Redis[] = [];

  async function connect(): Promise<Redis> {
    const connection = connectRedis(redis.url, 'connection-test');
    connections.push(connection);
    await once(connection, 'ready');
    return connection;
  }

  /** Counts the socket's writes of several commands at once (one system call each). */
  function batchesOf(connection: Redis) {
    const socket = connection.stream as Socket & { _writev: Writev };
    return jest.spyOn(socket, '_writev');
  }

  beforeAll(async () => {
    await redis.start();
  });

  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    await redis.dispose();
  });

  it('sends the commands of one turn of the event loop together, in order, each with its own reply', async () => {
    const connection = await connect();
    const batches = batchesOf(connection);

    const replies = await Promise.all([
      connection.set('coalesce:a', '1'),
      connection.incr('coalesce:a'),
      connection.get('coalesce:a'),
      connection.hget('coalesce:a', 'field').catch((error: Error) => error.message),
    ]);

    expect(replies).toEqual(['OK', 2, '2', expect.stringMatching(/WRONGTYPE/)]);
    expect(batches).toHaveBeenCalledTimes(1);
    expect(batches.mock.calls[0][0]).toHaveLength(4);
  });

  it('sends a command of a later turn at once, and corks every new socket after a reconnect', async () => {
    const connection = await connect();
    await connection.set('coalesce:b', 'x');
    expect(connection.stream.writableCorked).toBe(0);

    connection.disconnect(true); // reconnect: a new socket
    await once(connection, 'ready');
    const batches = batchesOf(connection);
    await Promise.all([connection.set('coalesce:b', 'y'), connection.get('coalesce:b')]);

    expect(batches).toHaveBeenCalledTimes(1);
    expect(await connection.get('coalesce:b')).toBe('y');
  });
});
