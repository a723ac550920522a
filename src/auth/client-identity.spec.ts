import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { ApiKeyRing } from './api-keys.js';
import { ClientIdentity } from './client-identity.js';

const KEY = 'alpha-0123456789abcdef';

function request(ip: string | undefined, headers: Record<string, string> = {}): Request {
  return { ip, headers, socket: { remoteAddress: '192.0.2.99' } } as unknown as Request;
}

describe('ClientIdentity', () => {
  const clients = new ClientIdentity(new ApiKeyRing([KEY]));

  it('names a client by its valid API key, wherever it connects from', () => {
    const fromHere = clients.of(request('192.0.2.1', { 'x-api-key': KEY }));
    const fromThere = clients.of(request('198.51.100.7', { authorization: `Bearer ${KEY}` }));
    expect(fromHere).toMatch(/^key:[0-9a-f]{16}$/);
    expect(fromThere).toBe(fromHere);
    expect(fromHere).not.toContain(KEY);
  });

  it('names a client without a valid key by its address, IPv6 by its /64', () => {
    expect(clients.of(request('192.0.2.1', { 'x-api-key': `${KEY}x` }))).toBe('ip:192.0.2.1');
    expect(clients.of(request('2001:db8:1:2::1'))).toBe(
      clients.of(request('2001:db8:1:2:ffff::9')),
    );
    expect(clients.of(request('2001:db8:1:2::1'))).not.toBe(clients.of(request('2001:db8:1:3::1')));
    expect(clients.of(request(undefined))).toBe('ip:192.0.2.99');
  });

  it('is the pipe behind @ClientId()', () => {
    expect(clients.transform(request('192.0.2.1'))).toBe('ip:192.0.2.1');
  });
});
