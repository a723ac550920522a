import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { RunsService } from '../runs/index.js';
import { InteractiveSession, type SessionServices } from './interactive-session.js';

/** Just enough of a ws socket: messages in, JSON out, close. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: number | undefined;

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }

  terminate(): void {
    this.close(1006);
  }

  close(code: number): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = code;
    this.readyState = 3;
    this.emit('close');
  }

  receive(message: object): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function session(overrides: Partial<SessionServices> = {}) {
  const socket = new FakeSocket();
  const calls: string[] = [];
  const held: string[] = [];
  const runs = {
    submit: () => Promise.resolve({ id: 'run-1' }),
    follow: () => Promise.resolve({ events: (async function* () {})(), ended: false }),
    writeInput: (_id: string, data: string) => Promise.resolve(void calls.push(`stdin:${data}`)),
    closeInput: () => Promise.resolve(void calls.push('close')),
    cancel: () => Promise.resolve(void calls.push('cancel')),
  } as unknown as RunsService;
  const services: SessionServices = {
    runs,
    connectedAs: 'ip:192.0.2.1',
    admit: () => Promise.resolve({ client: 'key:k', keyed: true }),
    holdLiveStream: (client) => {
      held.push(client);
      return () => void held.splice(held.indexOf(client), 1);
    },
    maxStdinBytes: 8,
    validate: (body) => Promise.resolve(body as { code: string }),
    ...overrides,
  };
  new InteractiveSession(socket as unknown as WebSocket, services);
  return { socket, calls, held };
}

describe('InteractiveSession', () => {
  it('holds a live connection from connecting, for the client its start names', async () => {
    const { socket, held } = session();
    expect(held).toEqual(['ip:192.0.2.1']);
    socket.receive({ type: 'start', code: 'x' });
    await settle();
    expect(held).toEqual(['key:k']);
    expect(socket.sent).toEqual([{ type: 'started', id: 'run-1' }]);
    socket.close(1000);
    expect(held).toEqual([]);
  });

  it('writes stdin within the limit, skips empty writes, refuses stdin after its close; one kill', async () => {
    const { socket, calls } = session();
    socket.receive({ type: 'start', code: 'x' });
    socket.receive({ type: 'stdin', data: '' });
    socket.receive({ type: 'stdin', data: 'abc' });
    socket.receive({ type: 'stdin', data: 'defghi' }); // 9 bytes in all: over 8
    socket.receive({ type: 'stdin_close' });
    socket.receive({ type: 'stdin_close' });
    socket.receive({ type: 'stdin', data: 'z' });
    socket.receive({ type: 'kill' });
    socket.receive({ type: 'kill' });
    await settle();
    await settle();
    expect(calls).toEqual(['stdin:abc', 'close', 'cancel']);
    const errors = socket.sent.filter((m) => m.type === 'error').map((m) => m.message);
    expect(errors).toEqual([
      expect.stringMatching(/limited to 8 bytes/),
      expect.stringMatching(/stdin is closed/),
    ]);
    expect(socket.closedWith).toBeUndefined(); // the run goes on
  });

  it('ends a session flooded with messages it has not handled yet (1008), killing its run', async () => {
    const { socket, calls } = session();
    socket.receive({ type: 'start', code: 'x' });
    await settle();
    expect(socket.sent).toEqual([{ type: 'started', id: 'run-1' }]);
    // Each message waits for the one before it; these pile up faster than they are handled.
    for (let i = 0; i < 100; i++) socket.receive({ type: 'stdin', data: 'a' });
    expect(socket.closedWith).toBe(1008);
    expect(calls).toContain('cancel');
  });

  it('refuses a connection at once when its client holds all its live connections', () => {
    const { socket } = session({
      holdLiveStream: () => {
        throw Object.assign(new Error('too many'), { code: 'client_limit' });
      },
    });
    expect(socket.closedWith).toBe(4500);
  });
});
