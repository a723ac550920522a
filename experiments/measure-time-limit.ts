/**
 * How late a time limit ends a program, and how late the answer follows, through live
 * services side by side (for example the code before and after a change):
 *   node dist/experiments/measure-time-limit.js <limitMs> <runs> http://a:5000 [http://b:5001 ...]
 * Each service must run with SANDBOX_TIMEOUT_MS = limitMs. Sends `while True: pass` to each in
 * turn (default 5 each) and prints, per service, p50 and max of the answer's lateness (client
 * round trip minus the limit) and of the program's (durationMs minus the limit), and the ratio
 * of the answers' p50 lateness to the first service's. A measurement, not a test.
 */
async function lateness(baseUrl: string, limitMs: number) {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: 'while True: pass' }),
  });
  const body = (await response.json()) as { status?: string; durationMs?: number };
  if (response.status !== 200 || body.status !== 'timeout')
    throw new Error(
      `unexpected answer ${response.status} from ${baseUrl}: ${JSON.stringify(body)}`,
    );
  return {
    answerMs: performance.now() - started - limitMs,
    programMs: (body.durationMs ?? NaN) - limitMs,
  };
}

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const [limitArg, runsArg, ...urls] = process.argv.slice(2);
  const limitMs = Number(limitArg);
  const runs = Number(runsArg ?? 5);
  if (!Number.isFinite(limitMs) || urls.length === 0)
    throw new Error('usage: measure-time-limit.js <limitMs> <runs> <url> [<url> ...]');
  const samples = new Map(
    urls.map((url) => [url, [] as { answerMs: number; programMs: number }[]]),
  );
  // Interleaved, so both services see the same machine load.
  for (let i = 0; i < runs; i++) {
    for (const url of urls) samples.get(url)!.push(await lateness(url, limitMs));
  }
  console.log(`${runs} runs of while True: pass per service, time limit ${limitMs} ms`);
  const baseline = p50(samples.get(urls[0])!.map((s) => s.answerMs));
  for (const [url, values] of samples) {
    const answers = values.map((s) => s.answerMs);
    const programs = values.map((s) => s.programMs);
    console.log(
      `${url.padEnd(26)} answer after the limit: p50 ${p50(answers).toFixed(0).padStart(5)} ms, max ${Math.max(
        ...answers,
      )
        .toFixed(0)
        .padStart(5)} ms;` +
        ` durationMs after the limit: p50 ${p50(programs).toFixed(0).padStart(4)} ms, max ${Math.max(
          ...programs,
        )
          .toFixed(0)
          .padStart(4)} ms;` +
        ` ratio ${(p50(answers) / baseline).toFixed(2)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
