import type { Response } from 'express';
import type { RunEvent } from '../runs/index.js';

/** How often an idle stream sends a comment, so proxies and clients know it is alive. */
const KEEP_ALIVE_MS = 15_000;

/**
 * Sends a run's events as server-sent events (text/event-stream): one `id:`/`event:`/`data:`
 * block per event (the id is what a reconnecting client sends back as Last-Event-ID), flushed as
 * it comes, and a comment line while nothing happens. Ends the response when the events end, or
 * when they fail (the client then reconnects from its last id).
 */
export async function sendEventStream(
  response: Response,
  { events, ended }: { events: AsyncIterable<RunEvent>; ended: boolean },
): Promise<void> {
  let source: AsyncIterable<RunEvent> | RunEvent[] = events;
  if (ended) {
    // All there is, at once. Nothing left (a client that had it all and reconnected, as
    // EventSource does when a stream ends): 204, which tells EventSource to stop reconnecting.
    const rest: RunEvent[] = [];
    for await (const event of events) rest.push(event);
    if (rest.length === 0) {
      response.status(204).end();
      return;
    }
    source = rest;
  }
  response.status(200);
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Connection', 'keep-alive');
  // nginx and some other proxies buffer responses unless told not to.
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();
  const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  try {
    for await (const event of source) {
      response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`);
    }
  } catch {
    // The events failed (Redis away): the stream ends, the client resumes from its last id.
  } finally {
    clearInterval(keepAlive);
    response.end();
  }
}
