import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import { DomainError } from '../common/domain-error.js';
import { httpStatusOf } from '../common/domain-error.filter.js';
import type { RunProgram, RunRequester, RunsService } from '../runs/index.js';

/** How long a client may take to send its start message after connecting. */
export const START_WITHIN_MS = 10_000;

/** What a session needs from the service (InteractiveSessions hands it out). */
export interface SessionServices {
  runs: RunsService;
  /** Who the connection counts against before its start message names a key (its headers). */
  connectedAs: string;
  /** Checks the key (when keys are on) and counts the run: resolves with who asks. */
  admit(apiKey: string | undefined): Promise<RunRequester>;
  /** Takes one of the client's live connections (client_limit past the cap); returns what gives it back. */
  holdLiveStream(client: string): () => void;
  /** The start message's run fields, checked as POST /run checks its body (400 if not). */
  /** The run a start message asks for, checked as POST /run checks its body. */
  validate(body: Record<string, unknown>): Promise<RunProgram>;
  maxStdinBytes: number;
}

/** How long a client has to answer the server's close before it is cut off. */
const CLOSE_WITHIN_MS = 1000;

/** Messages a client may have waiting to be handled; a flood past it ends the session. */
const MAX_PENDING_MESSAGES = 64;

type ClientMessage = { type?: unknown } & Record<string, unknown>;

/** A 400 as the protocol sends it. */
export class ProtocolError extends Error {}

/**
 * One interactive WebSocket: its start message, the run it starts, the program's output as it
 * comes, the client's stdin and kill, and the run's result, then the close. Messages are
 * handled one at a time, in order (stdin sent right after start waits for the run to exist).
 * Closing the socket before the run ended kills the program.
 */
export class InteractiveSession {
  private readonly logger = new Logger(InteractiveSession.name);
  private queue: Promise<void> = Promise.resolve();
  private requester: RunRequester | undefined;
  private runId: string | undefined;
  private finished = false;
  private stdinBytes = 0;
  private stdinClosed = false;
  private killed = false;
  private pending = 0;
  /** The live connection this session holds, and for whom. */
  private release: (() => void) | undefined;
  private heldFor: string | undefined;
  private readonly following = new AbortController();
  private readonly startTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly services: SessionServices,
  ) {
    this.startTimer = setTimeout(
      () => this.refuse(408, `no start message within ${START_WITHIN_MS / 1000} s`),
      START_WITHIN_MS,
    );
    socket.on('message', (data: RawData, isBinary) => {
      if (++this.pending > MAX_PENDING_MESSAGES) {
        this.pending = 0;
        this.hangUp(1008, 'too many messages waiting'); // (its run is killed on close)
        return;
      }
      const text = isBinary ? undefined : textOf(data);
      this.queue = this.queue
        .then(() => this.handle(text))
        .catch(() => undefined)
        .finally(() => this.pending--);
    });
    socket.on('close', () => this.closed());
    // A connection counts against its client from the start (by its headers' key, else its
    // address), so a client cannot hold more open sockets than the cap by never starting.
    try {
      this.hold(services.connectedAs);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Holds one live connection for `client` (giving back one held for another identity). */
  private hold(client: string): void {
    if (this.heldFor === client) return;
    this.release?.();
    this.release = undefined;
    this.release = this.services.holdLiveStream(client);
    this.heldFor = client;
  }

  private async handle(text: string | undefined): Promise<void> {
    if (this.finished) return;
    let message: ClientMessage;
    try {
      message = parse(text);
    } catch (error) {
      return this.fail(error);
    }
    if (this.runId === undefined) {
      try {
        if (message.type !== 'start') {
          throw new ProtocolError(
            'the first message must be {"type":"start","code":"..."} (see GET /runs/interactive)',
          );
        }
        await this.start(message);
      } catch (error) {
        this.fail(error);
      }
      return;
    }
    try {
      await this.during(message);
    } catch (error) {
      this.fail(error);
    }
  }

  private async start(message: ClientMessage): Promise<void> {
    clearTimeout(this.startTimer);
    const { type: _type, apiKey, ...body } = message;
    if (apiKey !== undefined && typeof apiKey !== 'string') {
      throw new ProtocolError('apiKey must be a string');
    }
    const requester = await this.services.admit(apiKey);
    const request = await this.services.validate(body);
    this.hold(requester.client); // the key in the start message may name another client
    this.stdinBytes = Buffer.byteLength(request.stdin ?? '', 'utf8');
    const run = await this.services.runs.submit(request, {
      ...requester,
      requestId: requester.requestId ?? randomUUID(),
      interactive: true,
    });
    this.requester = requester;
    this.runId = run.id;
    if (this.socket.readyState !== this.socket.OPEN) {
      // The client left while the run was being accepted: it is not wanted any more.
      void this.services.runs.cancel(run.id, requester).catch(() => undefined);
      return;
    }
    this.send({ type: 'started', id: run.id });
    void this.relay(run.id, requester);
  }

  /** Messages once the run exists: stdin, its end, a kill. */
  private async during(message: ClientMessage): Promise<void> {
    const runId = this.runId!;
    switch (message.type) {
      case 'stdin': {
        if (typeof message.data !== 'string') {
          throw new ProtocolError('stdin data must be a string');
        }
        if (this.stdinClosed) throw new ProtocolError('stdin is closed (stdin_close was sent)');
        if (message.data === '') return;
        const bytes = Buffer.byteLength(message.data, 'utf8');
        const limit = this.services.maxStdinBytes;
        if (this.stdinBytes + bytes > limit) {
          throw new ProtocolError(
            `stdin is limited to ${limit} bytes per run (MAX_STDIN_BYTES); ${this.stdinBytes} were sent already, so these ${bytes} were dropped`,
          );
        }
        this.stdinBytes += bytes;
        await this.services.runs.writeInput(runId, message.data);
        return;
      }
      case 'stdin_close':
        if (this.stdinClosed) return;
        this.stdinClosed = true;
        await this.services.runs.closeInput(runId);
        return;
      case 'kill':
        if (this.killed) return;
        this.killed = true;
        await this.services.runs.cancel(runId, this.requester!);
        return;
      case 'start':
        throw new ProtocolError('the run has started already: one run per connection');
      default:
        throw new ProtocolError(
          'unknown message type: send "stdin", "stdin_close" or "kill" (see GET /runs/interactive)',
        );
    }
  }

  /** The run's output and result to the client, then the close. */
  private async relay(runId: string, requester: RunRequester): Promise<void> {
    try {
      const { events } = await this.services.runs.follow(runId, requester, {
        signal: this.following.signal,
      });
      for await (const event of events) {
        const payload = JSON.parse(event.data) as Record<string, unknown>;
        if (event.type === 'stdout' || event.type === 'stderr') {
          this.send({ type: event.type, data: payload.data });
        } else if (event.type === 'result') {
          this.finished = true;
          this.send({ type: 'result', ...payload });
          this.release?.(); // the session is over: its place is free before the close completes
          this.hangUp(1000, 'the run has ended');
          return;
        }
      }
    } catch (error) {
      if (this.following.signal.aborted) return;
      // Without its events the session cannot go on (the client would wait for a result that
      // never comes): it says why and ends, which kills the run.
      this.fail(error);
      this.hangUp(1011, 'the run’s events could not be read');
    }
  }

  /**
   * Tells the client what went wrong. Before the run exists that ends the session (close code
   * 4000 + status); after, the run goes on, unless its events failed.
   */
  private fail(error: unknown): void {
    const { statusCode, message, retryAfter } = describe(error);
    if (statusCode >= 500 && !(error instanceof DomainError)) {
      this.logger.error({ event: 'interactive_failed', err: error }, 'interactive session failed');
    }
    this.send({ type: 'error', statusCode, message, ...(retryAfter ? { retryAfter } : {}) });
    if (this.runId === undefined) this.refuse(statusCode);
  }

  private refuse(statusCode: number, message?: string): void {
    if (this.finished) return;
    if (message !== undefined) this.send({ type: 'error', statusCode, message });
    this.finished = true;
    this.hangUp(4000 + statusCode, message?.slice(0, 100));
  }

  /**
   * Closes the socket with `code`; a client that does not answer the close within a second
   * (ws would wait 30) is cut off, so it holds neither its run nor its live connection.
   */
  private hangUp(code: number, reason?: string): void {
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_WITHIN_MS).unref();
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private closed(): void {
    clearTimeout(this.startTimer);
    this.following.abort();
    this.release?.();
    const ended = this.finished;
    this.finished = true;
    if (this.runId !== undefined && !ended) {
      // The client left: the program is killed (a run that had ended stays as it was).
      void this.services.runs.cancel(this.runId, this.requester!).catch(() => undefined);
    }
  }
}

function parse(text: string | undefined): ClientMessage {
  let value: unknown;
  try {
    value = text === undefined ? undefined : JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('each message must be a JSON object in a text frame, with a "type"');
  }
  return value as ClientMessage;
}

function describe(error: unknown): { statusCode: number; message: string; retryAfter?: number } {
  if (error instanceof ProtocolError) return { statusCode: 400, message: error.message };
  if (error instanceof DomainError) {
    return {
      statusCode: httpStatusOf(error.code),
      message: error.message,
      retryAfter: error.retryAfterSeconds,
    };
  }
  return { statusCode: 500, message: 'Internal server error' };
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}
