/**
 * Load test: many concurrent 5-second loops against a RUNNING service, watching its
 * containers on the engine. Prints the answer codes, the peak number of live containers of
 * the instance, the total time and what was left behind; exits 1 if any answer is not
 * 200/429/503, if the containers ever outnumber the service's own bound, or if any is left.
 *
 *   npm run load                       # http://127.0.0.1:5000, 30 requests
 *   LOAD_URL=http://127.0.0.1:8080 LOAD_REQUESTS=30 npm run load
 *
 * The engine is reached like the service reaches it (DOCKER_HOST or the local socket).
 * Send load only to a service you run yourself.
 */
import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CONTAINER_LABELS } from '../src/sandbox/container-labels.js';

const url = process.env.LOAD_URL ?? 'http://127.0.0.1:5000';
const requests = Number(process.env.LOAD_REQUESTS ?? 30);
/** Containers the instance may hold besides its running programs (for example a warm pool). */
const extraContainers = Number(process.env.LOAD_EXTRA_CONTAINERS ?? 0);
const LOOP = 'while True: pass  # load test: runs until the time limit';
const ALLOWED = new Set([200, 429, 503]);

interface ServiceFacts {
  instanceId: string;
  maxConcurrent: number;
  /** Idle containers the warm pool keeps started (SANDBOX_POOL_SIZE). */
  poolSize: number;
}

/** The instance id and the configured bound, from the service's own /metrics. */
async function serviceFacts(): Promise<ServiceFacts> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const instanceId = /sce_instance_info\{instance="([^"]+)"\} 1/.exec(text)?.[1];
  const maxConcurrent = Number(/^sce_max_concurrent_runs (\d+)$/m.exec(text)?.[1]);
  const poolSize = Number(/^sce_pool_size (\d+)$/m.exec(text)?.[1] ?? 0);
  if (!instanceId || !Number.isFinite(maxConcurrent)) {
    throw new Error(`${url}/metrics does not show sce_instance_info and sce_max_concurrent_runs`);
  }
  return { instanceId, maxConcurrent, poolSize };
}

async function main(): Promise<number> {
  const docker = new Docker();
  const { instanceId, maxConcurrent, poolSize } = await serviceFacts();
  // Running containers: programs in flight plus the pool's idle ones. A container whose program
  // has ended is no longer live (it only awaits removal, which happens after the answer).
  const bound = maxConcurrent + poolSize + extraContainers;
  const all = () =>
    docker.listContainers({
      all: true,
      filters: { label: [`${CONTAINER_LABELS.instance}=${instanceId}`] },
    });
  const live = async () => (await all()).filter((c) => c.State === 'running');
  /** Anything beyond the pool's idle containers, once removals have had up to 10 s. */
  const leftBehind = async () => {
    let count = 0;
    for (let attempt = 0; attempt < 100; attempt++) {
      const containers = await all();
      const running = containers.filter((c) => c.State === 'running').length;
      count = containers.length - running + Math.max(0, running - poolSize);
      if (count === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return count;
  };

  let peak = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      peak = Math.max(peak, (await live()).length);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const batch = randomUUID().slice(0, 8);
  const started = performance.now();
  const codes = await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      try {
        const response = await fetch(`${url}/run`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `load-${batch}-${i}` },
          body: JSON.stringify({ code: LOOP }),
        });
        await response.arrayBuffer();
        return String(response.status);
      } catch (error) {
        return `network error (${String(error)})`;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  polling = false;
  await poller;
  const leftovers = await leftBehind();

  const histogram: Record<string, number> = {};
  for (const code of codes) histogram[code] = (histogram[code] ?? 0) + 1;
  const unexpected = codes.filter((code) => !ALLOWED.has(Number(code)));
  console.log(`target             ${url} (instance ${instanceId})`);
  console.log(`requests           ${requests} concurrent 5-second loops`);
  console.log(
    `codes              ${Object.entries(histogram)
      .sort()
      .map(([code, n]) => `${code}: ${n}`)
      .join(', ')}`,
  );
  console.log(
    `peak containers    ${peak} (bound ${bound} = ${maxConcurrent} running + ${poolSize} pool${extraContainers ? ` + ${extraContainers} extra` : ''})`,
  );
  console.log(`total time         ${seconds.toFixed(1)} s`);
  console.log(`left behind        ${leftovers} (besides ${poolSize} idle pool container(s))`);

  const failures = [
    ...(unexpected.length > 0 ? [`unexpected answers: ${unexpected.join(', ')}`] : []),
    ...(peak > bound ? [`${peak} live containers passed the bound of ${bound}`] : []),
    ...(leftovers > 0 ? [`${leftovers} container(s) left behind`] : []),
  ];
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  if (failures.length === 0) console.log('OK');
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
