import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds, then returns; throws naming `what` when it still does not
 * hold after `timeoutMs`. For waiting on something that happens in the background (a removal
 * after the answer, a refill), never for measuring speed.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 2000, intervalMs = 5 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(intervalMs);
  }
}
