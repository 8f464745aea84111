import type { Request } from 'express';
import { isAllowedOrigin, ownOrigin } from './origin-policy';

interface FakeRequestInit {
  protocol?: string;
  host?: string;
  origin?: string;
  referer?: string;
}

function fakeRequest({ protocol = 'https', host = 'app.example', origin, referer }: FakeRequestInit): Request {
  const headers: Record<string, string> = {};
  if (host !== undefined) headers['host'] = host;
  if (origin !== undefined) headers['origin'] = origin;
  if (referer !== undefined) headers['referer'] = referer;
  return {
    protocol,
    headers,
    get(name: string) {
      return headers[name.toLowerCase()];
    },
  } as unknown as Request;
}

describe('ownOrigin', () => {
  it('is the protocol and Host the request was addressed to', () => {
    expect(ownOrigin(fakeRequest({ protocol: 'http', host: 'localhost:3000' }))).toBe('http://localhost:3000');
    expect(ownOrigin(fakeRequest({ protocol: 'https', host: 'app.example' }))).toBe('https://app.example');
  });
});

describe('isAllowedOrigin', () => {
  const allowed = ['https://admin.example', 'http://localhost:4200'];

  it('allows a same-origin request', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'https://app.example' }), [])).toBe(true);
  });

  it('allows a listed origin', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'https://admin.example' }), allowed)).toBe(true);
    expect(isAllowedOrigin(fakeRequest({ origin: 'http://localhost:4200' }), allowed)).toBe(true);
  });

  it('refuses another origin', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'https://evil.example' }), allowed)).toBe(false);
  });

  it('refuses the same host over another scheme', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'http://app.example' }), [])).toBe(false);
  });

  it('refuses the same host on another port', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'https://app.example:8443' }), [])).toBe(false);
  });

  it('refuses a look-alike of a listed origin', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'https://admin.example.evil.example' }), allowed)).toBe(false);
    expect(isAllowedOrigin(fakeRequest({ origin: 'http://localhost:42000' }), allowed)).toBe(false);
  });

  it('refuses the opaque origin "null" (sandboxed frames, file: pages)', () => {
    expect(isAllowedOrigin(fakeRequest({ origin: 'null' }), allowed)).toBe(false);
  });

  it('allows a request without Origin or Referer (curl, server-to-server)', () => {
    expect(isAllowedOrigin(fakeRequest({}), [])).toBe(true);
  });

  it('falls back to the Referer origin when Origin is missing: same origin allowed', () => {
    expect(isAllowedOrigin(fakeRequest({ referer: 'https://app.example/settings?tab=keys' }), [])).toBe(true);
  });

  it('falls back to the Referer origin when Origin is missing: listed origin allowed', () => {
    expect(isAllowedOrigin(fakeRequest({ referer: 'https://admin.example/page' }), allowed)).toBe(true);
  });

  it('falls back to the Referer origin when Origin is missing: other origin refused', () => {
    expect(isAllowedOrigin(fakeRequest({ referer: 'https://evil.example/app.example' }), allowed)).toBe(false);
  });

  it('refuses a Referer that is not a URL', () => {
    expect(isAllowedOrigin(fakeRequest({ referer: 'not a url' }), allowed)).toBe(false);
  });

  it('prefers Origin over Referer', () => {
    expect(
      isAllowedOrigin(fakeRequest({ origin: 'https://evil.example', referer: 'https://app.example/' }), []),
    ).toBe(false);
    expect(
      isAllowedOrigin(fakeRequest({ origin: 'https://app.example', referer: 'https://evil.example/' }), []),
    ).toBe(true);
  });
});
