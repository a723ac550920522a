import http from 'node:http';
import WebSocket from 'ws';

/** One server-sent event as a client receives it. */
export interface ReceivedEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** An open event stream (GET /runs/{id}/events): its events as they come, and its end. */
export interface EventStreamClient {
  status: number;
  /** Every event received so far. */
  events: ReceivedEvent[];
  /** Resolves with the next event (ones already received first); undefined once the stream ended. */
  next(): Promise<ReceivedEvent | undefined>;
  /** Resolves with all the events once the server ends the stream. */
  ended: Promise<ReceivedEvent[]>;
  close(): void;
}

/**
 * Opens an event stream with a plain HTTP client (EventSource cannot send headers) and parses
 * it as the SSE format says: blocks separated by a blank line, `id:`, `event:`, `data:` fields,
 * comment lines ignored.
 */
export function openEventStream(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}${path}`, { headers }, (response) => {
      const events: ReceivedEvent[] = [];
      let taken = 0;
      let wake: (() => void) | undefined;
      let done = false;
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const colon = line.indexOf(':');
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.data === undefined) continue;
          events.push({
            id: fields.id,
            event: fields.event ?? 'message',
            data: JSON.parse(fields.data),
          });
          wake?.();
        }
      });
      const ended = new Promise<ReceivedEvent[]>((resolveEnd) => {
        const finish = () => {
          done = true;
          wake?.();
          resolveEnd(events);
        };
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', finish);
      });
      resolve({
        status: response.statusCode ?? 0,
        events,
        ended,
        close: () => request.destroy(),
        next: async () => {
          while (taken >= events.length && !done) {
            await new Promise<void>((w) => (wake = w));
          }
          return taken < events.length ? events[taken++] : undefined;
        },
      });
    });
    request.on('error', reject);
  });
}

/** A message of the interactive protocol, as the server sends it. */
export interface ServerMessage {
  type: string;
  [field: string]: unknown;
}

/** An interactive WebSocket (/runs/interactive) with its messages kept in order. */
export interface InteractiveClient {
  socket: WebSocket;
  messages: ServerMessage[];
  send(message: object | string): void;
  /** Resolves with the next message of `type` not yet taken (earlier ones of other types are skipped). */
  next(type?: string): Promise<ServerMessage>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

export async function openInteractive(
  url: string,
  headers: Record<string, string> = {},
): Promise<InteractiveClient> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/runs/interactive`, { headers });
  const messages: ServerMessage[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let isClosed = false;
  socket.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      isClosed = true;
      wake?.();
      resolve({ code, reason: String(reason) });
    }),
  );
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: async (type) => {
      for (;;) {
        while (taken < messages.length) {
          const message = messages[taken++];
          if (type === undefined || message.type === type) return message;
        }
        if (isClosed) {
          throw new Error(
            `the socket closed before a "${type ?? 'any'}" message: ${JSON.stringify(messages)}`,
          );
        }
        await new Promise<void>((w) => (wake = w));
      }
    },
  };
}

/** The stdout of a run's messages or events, joined. */
export function joinedOutput(
  items: { type?: string; event?: string; data?: unknown }[],
  stream = 'stdout',
): string {
  return items
    .filter((item) => (item.type ?? item.event) === stream)
    .map((item) => {
      const data = item.data as string | { data: string };
      return typeof data === 'string' ? data : data.data;
    })
    .join('');
}

/** Reads a stream's events until its stdout so far holds `text` (a write may come in pieces). */
export async function untilStdout(stream: EventStreamClient, text: string): Promise<void> {
  while (!joinedOutput(stream.events).includes(text)) {
    if ((await stream.next()) === undefined) {
      throw new Error(`the stream ended without "${text}": ${JSON.stringify(stream.events)}`);
    }
  }
}
