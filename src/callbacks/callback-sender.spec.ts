import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackAddressPolicy } from './callback-address-policy.js';
import { CallbackSender, type DeliveryResult, type ResolveAll } from './callback-sender.js';

const SECRET = 'test-secret-0123456789';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A real HTTP server on 127.0.0.1 that records what reaches it and answers with `answer`. */
class Receiver {
  readonly requests: Received[] = [];
  connections = 0;
  answer: (response: ServerResponse) => void = (response) => response.end('ok');
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks),
        });
        this.answer(response);
      });
    });
    this.server.on('connection', () => this.connections++);
  }

  async start(host = '127.0.0.1', port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function sender(
  allowedHosts: string,
  overrides: Partial<{ secret: string; timeoutMs: number; resolve: ResolveAll }> = {},
) {
  return new CallbackSender(
    CallbackAddressPolicy.fromAllowedHosts(allowedHosts),
    {
      CALLBACK_SECRET: overrides.secret ?? SECRET,
      CALLBACK_TIMEOUT_MS: overrides.timeoutMs ?? 2000,
    },
    overrides.resolve,
  );
}

/** A resolver that answers `addresses` for any name and counts its calls. */
function fakeResolver(addresses: string[]): ResolveAll & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (hostName: string) => {
    calls.push(hostName);
    return Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
  return Object.assign(resolve, { calls });
}

/** How a receiver checks the signature (the snippet in docs/CALLBACKS.md). */
function verify(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('CallbackSender', () => {
  let receiver: Receiver;
  let url: string;

  beforeEach(async () => {
    receiver = new Receiver();
    await receiver.start();
    url = `http://127.0.0.1:${receiver.port}/hook?run=1`;
  });

  afterEach(async () => {
    await receiver.stop();
  });

  it('POSTs the body as JSON, signed, with the delivery id', async () => {
    const body = { id: 'run-1', status: 'success', result: { stdout: 'héllo\n' } };

    const result = await sender('127.0.0.1').deliver(url, body, 'delivery-1');

    expect(result).toEqual({ outcome: 'delivered', status: 200 });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hook?run=1');
    expect(JSON.parse(request.body.toString('utf8'))).toEqual(body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('safe-code-executor');
    expect(request.headers['x-sce-delivery']).toBe('delivery-1');
    expect(request.headers.host).toBe(`127.0.0.1:${receiver.port}`);
    const signature = request.headers['x-sce-signature-256'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify(request.body, signature, SECRET)).toBe(true);
    expect(verify(request.body, signature, 'another-secret-0123456')).toBe(false);
  });

  it.each([
    [500, 'retryable'],
    [503, 'retryable'],
    [408, 'retryable'],
    [425, 'retryable'],
    [429, 'retryable'],
    [404, 'permanent'],
    [400, 'permanent'],
    [410, 'permanent'],
    [204, 'delivered'],
  ])('an answer %i is %s', async (status, outcome) => {
    receiver.answer = (response) => response.writeHead(status).end();
    const result = await sender('127.0.0.1').deliver(url, {}, 'd');
    expect(result.outcome).toBe(outcome);
    expect(result.status).toBe(status);
  });

  it('does not follow a redirect: a 3xx is a permanent failure', async () => {
    receiver.answer = (response) =>
      response.writeHead(302, { Location: `http://127.0.0.1:${receiver.port}/elsewhere` }).end();

    const result = await sender('127.0.0.1').deliver(url, {}, 'd');

    expect(result).toEqual({
      outcome: 'permanent',
      status: 302,
      reason: 'HTTP 302: redirects are not followed',
    });
    expect(receiver.requests.map((request) => request.url)).toEqual(['/hook?run=1']);
  });

  it('gives up on a receiver that never answers, after CALLBACK_TIMEOUT_MS', async () => {
    receiver.answer = () => {};
    const started = Date.now();

    const result = await sender('127.0.0.1', { timeoutMs: 200 }).deliver(url, {}, 'd');

    expect(result).toEqual({ outcome: 'retryable', reason: 'timed out: no answer within 200 ms' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(receiver.requests).toHaveLength(1);
  });

  it('reads a few KiB of a long answer at most, then drops the connection', async () => {
    receiver.answer = (response) => {
      response.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // Far more than the sender reads; it must not wait for the end.
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    };
    const result = await sender('127.0.0.1', { timeoutMs: 1000 }).deliver(url, {}, 'd');
    expect(result).toEqual({ outcome: 'delivered', status: 200 });
  });

  it('refuses a name that resolves to loopback, without connecting', async () => {
    const result = await sender('').deliver(`http://localhost:${receiver.port}/hook`, {}, 'd');

    expect(result.outcome).toBe('permanent');
    expect(result).toMatchObject({
      reason: expect.stringMatching(/^localhost is refused: .*loopback/),
    });
    expect(receiver.connections).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses a literal loopback address, without connecting', async () => {
    const result = await sender('').deliver(url, {}, 'd');

    expect(result).toMatchObject({
      outcome: 'permanent',
      reason: expect.stringMatching(/127\.0\.0\.1 is a loopback address/),
    });
    expect(receiver.connections).toBe(0);
  });

  it('connects through a name the operator allowed', async () => {
    const result = await sender('localhost').deliver(
      `http://localhost:${receiver.port}/x`,
      {},
      'd',
    );

    expect(result).toEqual({ outcome: 'delivered', status: 200 });
    expect(receiver.requests[0].headers.host).toBe(`localhost:${receiver.port}`);
  });

  it('connects only to the addresses it checked: forbidden ones are dropped, the name is resolved once', async () => {
    // A second receiver on 127.0.0.2, same port: reachable, but not allowed.
    const forbidden = new Receiver();
    await forbidden.start('127.0.0.2', receiver.port);
    try {
      const resolve = fakeResolver(['127.0.0.2', '169.254.169.254', '127.0.0.1']);

      const result = await sender('127.0.0.1', { resolve }).deliver(
        `http://hooks.test:${receiver.port}/hook`,
        {},
        'd',
      );

      expect(result).toEqual({ outcome: 'delivered', status: 200 });
      expect(resolve.calls).toEqual(['hooks.test']);
      expect(forbidden.connections).toBe(0);
      expect(receiver.requests[0].headers.host).toBe(`hooks.test:${receiver.port}`);
    } finally {
      await forbidden.stop();
    }
  });

  it('refuses a name whose every address is forbidden (a rebinding name), without connecting', async () => {
    const resolve = fakeResolver(['169.254.169.254', '10.0.0.1', '::ffff:127.0.0.1']);

    const result = await sender('', { resolve }).deliver(
      `http://rebind.test:${receiver.port}/hook`,
      {},
      'd',
    );

    expect(result).toMatchObject({
      outcome: 'permanent',
      reason: expect.stringMatching(
        /^rebind\.test is refused: 169\.254\.169\.254 is a link-local .*10\.0\.0\.1 is a private .*127\.0\.0\.1 is a loopback/,
      ),
    });
    expect(receiver.connections).toBe(0);
  });

  it('an unreachable receiver is a retryable failure', async () => {
    await receiver.stop();
    const result: DeliveryResult = await sender('127.0.0.1').deliver(url, {}, 'd');
    expect(result).toMatchObject({
      outcome: 'retryable',
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('sends nothing when callbacks are off (no CALLBACK_SECRET)', async () => {
    const result = await sender('127.0.0.1', { secret: '' }).deliver(url, {}, 'd');
    expect(result).toEqual({
      outcome: 'permanent',
      reason: 'callbacks are off (CALLBACK_SECRET is not set)',
    });
    expect(receiver.connections).toBe(0);
  });

  it('sends nothing to a URL that breaks the rules', async () => {
    const result = await sender('127.0.0.1').deliver(
      `http://user:pw@127.0.0.1:${receiver.port}/`,
      {},
      'd',
    );
    expect(result).toEqual({
      outcome: 'permanent',
      reason: 'callback URL must not carry a user name or password',
    });
    expect(receiver.connections).toBe(0);
  });
});
