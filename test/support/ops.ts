import http from 'node:http';
import { CONTAINER_LABELS } from '../../src/sandbox/container-labels.js';
import { containersThatRan, docker } from './service.js';

/** Reads one sample of a Prometheus metric from the service's /metrics (0 when absent). */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { [key: string]: unknown };
}

/**
 * POST /run with our own request id (and any other headers, an API key for example); resolves
 * with whatever the service answered.
 */
export function post(
  url: string,
  code: string,
  requestId?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ code });
    const request = http.request(
      `${url}/run`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(requestId ? { 'x-request-id': requestId } : {}),
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: JSON.parse(text) as { [key: string]: unknown },
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Containers on the shared engine that serve one request id: those made for it (labelled with
 * it) and, given the service's log, the pooled one it was sent to (see containersThatRan).
 */
export async function containersOfRequest(requestId: string, logs = '') {
  const labelled = await docker.listContainers({
    all: true,
    filters: { label: [`${CONTAINER_LABELS.request}=${requestId}`] },
  });
  const sentTo = new Set(containersThatRan(logs, requestId));
  const pooled =
    sentTo.size === 0
      ? []
      : (await docker.listContainers({ all: true, filters: { id: [...sentTo] } })).filter((c) =>
          sentTo.has(c.Id),
        );
  return [...labelled, ...pooled.filter((c) => !labelled.some((l) => l.Id === c.Id))];
}

/** A program that runs until the sandbox's time limit kills it. */
export const LOOP = 'while True: pass';
