import { API_ROUTES, XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from '@byok/contracts';

/** A signed-in browser as far as the API can tell: its cookies, with a key set in its session. */
export interface BenchSession {
  cookie: string;
  headers: Record<string, string>;
}

/** Loads the key list (session and CSRF cookies), then stores `apiKey` for `provider`, as the web app does. */
export async function createSession(baseUrl: string, provider: string, apiKey: string): Promise<BenchSession> {
  const cookies = new Map<string, string>();
  const remember = (response: Response): void => {
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair] = setCookie.split(';');
      const separator = pair.indexOf('=');
      cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
  };
  const cookieHeader = (): string => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const primed = await fetch(`${baseUrl}${API_ROUTES.providerKeys}`);
  remember(primed);
  await primed.arrayBuffer();
  const xsrf = decodeURIComponent(cookies.get(XSRF_COOKIE_NAME) ?? '');
  const set = await fetch(`${baseUrl}${API_ROUTES.setProviderKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookieHeader(), [XSRF_HEADER_NAME]: xsrf },
    body: JSON.stringify({ provider, apiKey }),
  });
  if (set.status !== 200) throw new Error(`setting the bench key answered HTTP ${set.status}: ${await set.text()}`);
  remember(set);
  await set.arrayBuffer();
  return { cookie: cookieHeader(), headers: { cookie: cookieHeader(), [XSRF_HEADER_NAME]: xsrf } };
}

/** Sessions in parallel batches, so a thousand of them take seconds, not minutes. */
export async function createSessions(baseUrl: string, count: number, provider: string, apiKey: string): Promise<BenchSession[]> {
  const sessions: BenchSession[] = [];
  while (sessions.length < count) {
    const batch = Math.min(50, count - sessions.length);
    sessions.push(...(await Promise.all(Array.from({ length: batch }, () => createSession(baseUrl, provider, apiKey)))));
  }
  return sessions;
}
