// The catalogue lives with the hostile end-to-end suite; this runner sends the same cases.
import { ATTACKS } from '../test/hostile/cases/index.js';
import {
  attackId,
  limitsFrom,
  runAttack,
  short,
  type AttackContext,
} from '../test/hostile/attack-kit.js';

/**
 * Sends every attack of the catalogue to a live service and prints what happened:
 *   EXPERIMENTS_URL=http://localhost:5000 npm run experiments [-- <filter>]
 * The limits judged against are read from the same SANDBOX_* variables the service reads, so
 * run it with the service's environment. Exits 1 if any attack was not answered as expected.
 */
async function main(): Promise<number> {
  const baseUrl = (process.env.EXPERIMENTS_URL ?? 'http://localhost:5000').replace(/\/$/, '');
  const filter = process.argv[2];
  const context: AttackContext = {
    limits: limitsFrom(process.env),
    servicePort: Number(new URL(baseUrl).port || 80),
  };
  const attacks = ATTACKS.filter((a) => filter === undefined || attackId(a).includes(filter));
  console.log(
    `Sending ${attacks.length} attacks to ${baseUrl} (runtime ${context.limits.runtime} expected)\n`,
  );
  printRow(['attack', 'expected', 'observed', 'verdict']);
  printRow(WIDTHS.map((width) => '-'.repeat(width)));
  const rows: string[][] = [];
  let failed = 0;
  for (const attack of attacks) {
    let observed: string;
    let problems: string[];
    try {
      ({ observed, problems } = await runAttack(baseUrl, attack, context));
    } catch (error) {
      observed = `request failed: ${String(error)}`;
      problems = [observed];
    }
    const live = await fetch(`${baseUrl}/health/live`).then(
      (r) => r.status,
      () => 0,
    );
    if (live !== 200) problems.push(`GET /health/live answered ${live} afterwards`);
    const verdict = problems.length === 0 ? 'PASS' : 'FAIL';
    if (problems.length > 0) failed++;
    rows.push([attackId(attack), attack.expected, observed, verdict]);
    printRow(rows[rows.length - 1]);
    for (const problem of problems) console.log(`      ! ${short(problem, 200)}`);
  }
  console.log(`\n${attacks.length} attacks, ${attacks.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

const WIDTHS = [44, 60, 60, 4];

function printRow(cells: string[]): void {
  console.log(cells.map((cell, i) => fit(cell, WIDTHS[i])).join(' | '));
}

function fit(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
