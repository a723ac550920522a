/**
 * How far behind the program a client sees its output: a program prints the wall-clock time
 * (time.time_ns(), the kernel's clock, which the sandbox shares with the host) every 50 ms, and
 * the client notes when each line reaches it, over server-sent events (GET /runs/{id}/events)
 * or the interactive WebSocket. One sample per line: arrival minus write.
 */
import WebSocket from 'ws';
import { percentile } from './measure.js';

/** Lines per run, and the pause before the first (so a follower that connects after the 202 is listening). */
const LINES = 20;
export const LIVE_PROGRAM = `import time\ntime.sleep(0.5)\nfor _ in range(${LINES}):\n    print(time.time_ns())\n    time.sleep(0.05)`;

export type LiveTransport = 'SSE' | 'WebSocket';

export interface LiveLatency {
  p50: number;
  p90: number;
  samples: number;
}

/**
 * The wall clock, as the program reads it. Date.now(), though whole milliseconds: the monotonic
 * clock plus the process's start time (performance.timeOrigin) drifts from the wall clock
 * whenever the wall clock is adjusted, as it was by 3 s during one bench run on this VM.
 */
const now = () => Date.now();

/** Collects one sample per complete line of stdout, at the time its newline arrives. */
class LineClock {
  private partial = '';
  readonly samples: number[] = [];

  take(text: string): void {
    const at = now();
    this.partial += text;
    let newline: number;
    while ((newline = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, newline).trim();
      this.partial = this.partial.slice(newline + 1);
      if (/^\d+$/.test(line)) this.samples.push(at - Number(BigInt(line) / 1000n) / 1000);
    }
  }
}

async function overSse(url: string, clock: LineClock): Promise<void> {
  const accepted = await fetch(`${url}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: LIVE_PROGRAM }),
  });
  const { id } = (await accepted.json()) as { id: string };
  const response = await fetch(`${url}/runs/${id}/events`);
  if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === 'stdout' && data) clock.take((JSON.parse(data) as { data: string }).data);
      if (event === 'result') {
        const run = JSON.parse(data!) as { status: string };
        if (run.status !== 'success') throw new Error(`the run ended ${run.status}`);
        return;
      }
    }
  }
}

async function overWebSocket(url: string, clock: LineClock): Promise<void> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/runs/interactive`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'start', code: LIVE_PROGRAM }));
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString('utf8')) as {
        type: string;
        data?: string;
        status?: string;
      };
      if (message.type === 'stdout') clock.take(message.data ?? '');
      if (message.type === 'error') reject(new Error(JSON.stringify(message)));
      if (message.type === 'result') {
        if (message.status === 'success') resolve();
        else reject(new Error(`the run ended ${message.status}`));
      }
    });
    socket.once('close', () => resolve());
  });
  socket.close();
}

/** `runs` runs of LIVE_PROGRAM one after another, followed over `transport`. */
export async function liveLatency(
  url: string,
  transport: LiveTransport,
  runs: number,
): Promise<LiveLatency> {
  const clock = new LineClock();
  for (let i = 0; i < runs; i++) {
    await (transport === 'SSE' ? overSse(url, clock) : overWebSocket(url, clock));
  }
  const sorted = clock.samples.sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error(`no line reached the client over ${transport}`);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), samples: sorted.length };
}

/** The section's rows and its verdict against the targets (p50 under 20 ms embedded, 30 ms through Redis). */
export function liveLatencyTable(rows: [string, LiveLatency, number][]): {
  text: string;
  pass: boolean;
} {
  let pass = true;
  const lines = [
    `${'live output: write → client'.padEnd(34)}${'p50'.padStart(10)}${'p90'.padStart(10)}${'lines'.padStart(8)}   target p50`,
  ];
  for (const [name, figures, target] of rows) {
    const ok = figures.p50 < target;
    pass &&= ok;
    lines.push(
      `${name.padEnd(34)}${`${figures.p50.toFixed(1)} ms`.padStart(10)}${`${figures.p90.toFixed(1)} ms`.padStart(10)}${String(figures.samples).padStart(8)}   < ${target} ms ${ok ? 'PASS' : 'FAIL'}`,
    );
  }
  return { text: lines.join('\n'), pass };
}
