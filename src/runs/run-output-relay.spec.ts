import { describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import type { StreamName } from '../sandbox/index.js';
import type { RunEvents } from './run-events.js';
import { RunOutputRelay } from './run-output-relay.js';

interface Write {
  stream: StreamName;
  text: string;
  answer(): void;
  fail(error: Error): void;
}

/** RunEvents whose writes are answered when the test says. */
class HeldEvents implements Pick<RunEvents, 'output'> {
  readonly writes: Write[] = [];

  output(_runId: string, stream: StreamName, text: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.writes.push({ stream, text, answer: resolve, fail: reject }),
    );
  }

  sent(): string[] {
    return this.writes.map((write) => `${write.stream}:${write.text}`);
  }
}

function logger(): Logger & { warnings: unknown[] } {
  const warnings: unknown[] = [];
  return { warnings, warn: (message: unknown) => warnings.push(message) } as unknown as Logger & {
    warnings: unknown[];
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

function relay(events: HeldEvents, after?: Promise<unknown>, log = logger()): RunOutputRelay {
  return new RunOutputRelay(events as unknown as RunEvents, 'run-1', log, after);
}

describe('RunOutputRelay', () => {
  it('writes nothing before the run start it waits for is written', async () => {
    const events = new HeldEvents();
    let started!: () => void;
    const output = relay(events, new Promise<void>((resolve) => (started = resolve)));
    output.push('stdout', 'a');
    await turn();
    expect(events.sent()).toEqual([]);
    started();
    await turn();
    expect(events.sent()).toEqual(['stdout:a']);
  });

  it('while the program runs, writes one piece at a time and joins what came meanwhile', async () => {
    const events = new HeldEvents();
    const output = relay(events);
    output.push('stdout', '1\n');
    await turn();
    output.push('stdout', '2\n');
    output.push('stdout', '3\n');
    output.push('stderr', 'oops');
    await turn();
    expect(events.sent()).toEqual(['stdout:1\n']); // the first write is not answered yet
    events.writes[0].answer();
    await turn();
    expect(events.sent()).toEqual(['stdout:1\n', 'stdout:2\n3\n']);
    events.writes[1].answer();
    await turn();
    expect(events.sent()).toEqual(['stdout:1\n', 'stdout:2\n3\n', 'stderr:oops']);
  });

  it('once the program has ended, sends the rest at once, without waiting for answers', async () => {
    const events = new HeldEvents();
    const output = relay(events);
    output.push('stdout', '4');
    await turn();
    output.push('stdout', '\n');
    output.push('stderr', 'warning');
    let closed = false;
    const closing = output.close().then(() => (closed = true));
    await turn();
    // Nothing was answered, yet all is sent, in order, and close() has resolved.
    expect(events.sent()).toEqual(['stdout:4', 'stdout:\n', 'stderr:warning']);
    expect(closed).toBe(true);
    for (const write of events.writes) write.answer();
    await closing;
  });

  it('close() waits for the run start before it sends anything', async () => {
    const events = new HeldEvents();
    let started!: () => void;
    const output = relay(events, new Promise<void>((resolve) => (started = resolve)));
    output.push('stdout', '4\n');
    let closed = false;
    const closing = output.close().then(() => (closed = true));
    await turn();
    expect(closed).toBe(false);
    expect(events.sent()).toEqual([]);
    started();
    await closing;
    expect(events.sent()).toEqual(['stdout:4\n']);
  });

  it('drops a failed write, logs it once, and goes on with the next', async () => {
    const events = new HeldEvents();
    const log = logger();
    const output = relay(events, undefined, log);
    output.push('stdout', 'a');
    await turn();
    output.push('stdout', 'b');
    events.writes[0].fail(new Error('redis away'));
    await turn();
    events.writes[1].fail(new Error('redis away'));
    output.push('stdout', 'c');
    await output.close();
    expect(events.sent()).toEqual(['stdout:a', 'stdout:b', 'stdout:c']);
    expect(log.warnings).toHaveLength(1);
    events.writes[2].answer();
  });

  it('after discard(), writes nothing more', async () => {
    const events = new HeldEvents();
    let started!: () => void;
    const output = relay(events, new Promise<void>((resolve) => (started = resolve)));
    output.push('stdout', 'a');
    output.discard();
    output.push('stdout', 'b');
    started();
    await output.close();
    expect(events.sent()).toEqual([]);
  });
});
