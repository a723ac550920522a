import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startService, type RunningService } from '../support/service.js';
import { LOOP, metric, post, until } from '../support/ops.js';

const KEY_A = 'fairness-key-a-0123456789abcdef';
const KEY_B = 'fairness-key-b-0123456789abcdef';
const TIMEOUT_MS = 1500;

/** Request ids in the order the service admitted their runs to a slot (its "run admitted" lines). */
function admissionOrder(logs: string): string[] {
  const ids: string[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: unknown; reqId?: unknown };
    if (entry.msg === 'run admitted' && typeof entry.reqId === 'string') ids.push(entry.reqId);
  }
  return ids;
}

/**
 * Issue 13, item 6: one client used to take every slot and the whole queue, so a second client
 * got 503 at once. Two run slots, four queue places, a cap of four runs per client: client A
 * sends six loops, client B one short program.
 */
describe('fairness between clients', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({
      API_KEYS: `${KEY_A},${KEY_B}`,
      SANDBOX_MAX_CONCURRENT: '2',
      SANDBOX_QUEUE_LIMIT: '4',
      SANDBOX_TIMEOUT_MS: String(TIMEOUT_MS),
      CLIENT_MAX_INFLIGHT: '4',
    });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it("caps one client's runs (429) and starts another client's run at the next free slot", async () => {
    const asA = { 'X-API-Key': KEY_A };
    const loops = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((id) => post(t.url, LOOP, id, asA));
    await until(
      "every one of A's runs is running, waiting or refused",
      async () =>
        (await metric(t.url, 'sce_runs_in_flight')) === 2 &&
        (await metric(t.url, 'sce_queue_depth')) +
          (await metric(t.url, 'sce_run_rejections_total', 'reason="client_limit"')) ===
          4,
    );

    const b = await post(t.url, 'print(1)', 'b1', { 'X-API-Key': KEY_B });
    expect({ status: b.status, body: b.body }).toMatchObject({
      status: 200,
      body: { status: 'success', output: '1' },
    });

    const answers = await Promise.all(loops);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(2);
    for (const answer of refused) {
      expect(answer.headers['retry-after']).toBe(String(Math.ceil(TIMEOUT_MS / 1000)));
      expect(answer.body.message).toBe(
        'This client already has 4 programs running or waiting, the most one client may have (CLIENT_MAX_INFLIGHT). Retry when one has finished.',
      );
    }
    const ran = answers.filter((answer) => answer.status === 200);
    expect(ran.map((answer) => answer.body.status)).toEqual(Array(4).fill('timeout'));

    // A's first two loops took both slots; B's run got the first slot that freed, ahead of
    // A's two queued loops, although they came first.
    const order = admissionOrder(t.logs());
    expect(order).toHaveLength(5);
    expect(order.indexOf('b1')).toBe(2);
    expect(await metric(t.url, 'sce_run_rejections_total', 'reason="client_limit"')).toBe(2);
    expect(await metric(t.url, 'sce_run_rejections_total', 'reason="queue_full"')).toBe(0);
  });
});
