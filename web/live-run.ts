import type { OutputFile } from './output-files.js';

/** What POST /run answers with a 200, and what a finished run carries as `result` (see /docs). */
export interface RunResult {
  output: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  status:
    | 'success'
    | 'runtime_error'
    | 'timeout'
    | 'memory_exceeded'
    | 'output_limit_exceeded'
    | 'compile_error';
  /** The program's own time, after its compilation. */
  durationMs: number;
  /** The compilation's time, for a language that compiles (C, C++). */
  compileMs?: number;
  /** The files the program left under out/, when it made that folder. */
  files?: OutputFile[];
  /** The service left some of out/'s files out (past its caps on their number or bytes). */
  filesTruncated?: boolean;
  truncated: boolean;
}

/** How a run ended, as the WebSocket's `result` message says it. */
export type RunEndStatus = RunResult['status'] | 'cancelled' | 'internal_error';

/** The WebSocket's last message: the run as GET /runs/{id} shows it. */
export interface ResultMessage {
  type: 'result';
  id: string;
  status: RunEndStatus;
  /** Present when the program ran; a stopped run (`cancelled`) has none. */
  result?: RunResult;
  /** Why the run could not run (`internal_error`). */
  error?: { code: string; message: string };
}

/** A refusal, with the status POST /run would have answered. */
export interface ErrorMessage {
  type: 'error';
  statusCode: number;
  message: string;
  /** Seconds, when waiting helps (429, 503). */
  retryAfter?: number;
}

type ServerMessage =
  | { type: 'started'; id: string }
  | { type: 'stdout' | 'stderr'; data: string }
  | ResultMessage
  | ErrorMessage;

/** How a live run ended, for the page to show. */
export type LiveRunEnd =
  /** The run ended on the server: its result (or why it had none). */
  | { kind: 'result'; message: ResultMessage }
  /** The server refused to start the run (bad program, key, rate limit, busy). */
  | { kind: 'refused'; error: ErrorMessage }
  /** The socket never opened: the server is down, or something between does not pass WebSockets. */
  | { kind: 'unreachable' }
  /** The socket closed before the run ended (network loss, proxy timeout, server failure). */
  | { kind: 'lost'; reason: string };

export interface LiveRunHandlers {
  /** The program wrote to stdout or stderr. */
  onOutput(stream: 'stdout' | 'stderr', data: string): void;
  /** The server refused a message during the run (e.g. too much stdin); the run goes on. */
  onRefusal(error: ErrorMessage): void;
}

export interface LiveRunRequest {
  code: string;
  /** A `language` of GET /runtimes; the server runs Python without it. */
  language?: string;
  /** Input given up front, read before anything typed. */
  stdin?: string;
  apiKey?: string;
}

/** The interactive WebSocket of this server, on the page's own host and scheme. */
export function interactiveUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/runs/interactive`;
}

/**
 * One run over the interactive WebSocket (GET /runs/interactive): sends the program, reports
 * its output as it comes, takes its input and the user's stop. Messages the page sends before
 * the socket opens wait in order behind the start message; the server handles them in that
 * order too, so a Stop pressed while connecting still reaches the run.
 */
export class LiveRun {
  /** Resolves once, when the run has ended for the page; never rejects. */
  readonly ended: Promise<LiveRunEnd>;
  private readonly socket: WebSocket | undefined;
  private readonly waiting: string[] = [];
  private finish!: (end: LiveRunEnd) => void;
  private done = false;
  private opened = false;
  private started = false;
  private refusal: ErrorMessage | undefined;

  constructor(
    url: string,
    request: LiveRunRequest,
    private readonly handlers: LiveRunHandlers,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
    this.waiting.push(JSON.stringify({ type: 'start', ...request }));
    try {
      this.socket = new WebSocket(url);
    } catch (error) {
      // A malformed URL or a policy that forbids the connection: as unreachable as a refusal.
      console.warn('the interactive WebSocket could not be created', error);
      this.end({ kind: 'unreachable' });
      return;
    }
    this.socket.addEventListener('open', () => this.onOpen());
    this.socket.addEventListener('message', (event) => this.onMessage(event));
    this.socket.addEventListener('close', (event) => this.onClose(event));
  }

  /** Sends what the user typed (a line with its "\n", or the rest before end of input). */
  sendInput(data: string): void {
    this.send({ type: 'stdin', data });
  }

  /** End of input: the program reads end of file. */
  closeInput(): void {
    this.send({ type: 'stdin_close' });
  }

  /** Kills the program; the run ends with status `cancelled`. */
  kill(): void {
    this.send({ type: 'kill' });
  }

  private send(message: Record<string, unknown>): void {
    if (this.done || !this.socket) return;
    const text = JSON.stringify(message);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
    else this.waiting.push(text);
  }

  private onOpen(): void {
    this.opened = true;
    for (const text of this.waiting.splice(0)) this.socket!.send(text);
  }

  private onMessage(event: MessageEvent): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(event.data)) as ServerMessage;
    } catch {
      console.warn('the interactive WebSocket sent something that is not JSON', event.data);
      return;
    }
    switch (message.type) {
      case 'started':
        this.started = true;
        return;
      case 'stdout':
      case 'stderr':
        this.handlers.onOutput(message.type, message.data);
        return;
      case 'result':
        this.end({ kind: 'result', message });
        return;
      case 'error':
        if (!this.started) {
          // The server closes the socket next (code 4000 + status); the close ends the run.
          this.refusal = message;
        } else if (message.statusCode >= 500) {
          // The server could not follow the run any more: no result will come. Closing the
          // socket makes the server stop the program.
          this.end({ kind: 'lost', reason: message.message });
          this.socket!.close();
        } else {
          this.handlers.onRefusal(message);
        }
        return;
    }
  }

  private onClose(event: CloseEvent): void {
    if (this.refusal) this.end({ kind: 'refused', error: this.refusal });
    else if (!this.opened) this.end({ kind: 'unreachable' });
    else this.end({ kind: 'lost', reason: event.reason || `connection closed (${event.code})` });
  }

  private end(end: LiveRunEnd): void {
    if (this.done) return;
    this.done = true;
    this.finish(end);
  }
}
