/**
 * Round-trip latency of a trivial program through a live service, to compare runtimes:
 *   EXPERIMENTS_URL=http://localhost:5000 node dist/experiments/measure-latency.js [runs]
 * Sends `print(2 + 2)` sequentially (default 20 times, after one warm-up) and prints p50, p90
 * and max of the client-side time and of the service's durationMs. A measurement, not a test.
 */
async function main(): Promise<void> {
  const baseUrl = (process.env.EXPERIMENTS_URL ?? 'http://localhost:5000').replace(/\/$/, '');
  const runs = Number(process.argv[2] ?? 20);
  const send = async () => {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'print(2 + 2)' }),
    });
    const body = (await response.json()) as { output?: string; durationMs?: number };
    if (response.status !== 200 || body.output !== '4')
      throw new Error(`unexpected answer ${response.status}: ${JSON.stringify(body)}`);
    return { roundTripMs: performance.now() - started, programMs: body.durationMs ?? NaN };
  };
  await send(); // warm-up: first use of the image, connection set-up
  const samples: { roundTripMs: number; programMs: number }[] = [];
  for (let i = 0; i < runs; i++) samples.push(await send());
  const report = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    console.log(
      `${name.padEnd(24)} p50 ${at(0.5).toFixed(0).padStart(5)} ms   p90 ${at(0.9).toFixed(0).padStart(5)} ms   max ${sorted[sorted.length - 1].toFixed(0).padStart(5)} ms`,
    );
  };
  console.log(`${runs} sequential runs of print(2 + 2) against ${baseUrl}`);
  report(
    'round trip (client)',
    samples.map((s) => s.roundTripMs),
  );
  report(
    'program (durationMs)',
    samples.map((s) => s.programMs),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
