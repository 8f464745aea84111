import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { API_ERROR_CODES, API_ROUTES } from '@byok/contracts';
import {
  freePort,
  isPortOpen,
  ManagedProcess,
  readTemplate,
  renderTemplate,
  waitFor,
} from '@byok/cluster';
import { httpsRequest } from './support/https-client';
import { NginxPrefix } from './support/nginx-prefix';
import {
  all,
  blockOf,
  effective,
  location,
  one,
  parseNginx,
  proxyHeaders,
  seconds,
  serverListening,
  type Directive,
} from './support/nginx-conf';
import { identityHeaders, proxyContainerVars } from './support/proxy-container';
import { describeWithTool } from './support/required-tool';
import { COMPOSE_FILE, OAUTH2_PROXY_COMPOSE_FILE, OAUTH2_PROXY_TEMPLATE, readText, ROOT } from './support/workspace';

const template = readText(OAUTH2_PROXY_TEMPLATE);
const vars = proxyContainerVars(COMPOSE_FILE, OAUTH2_PROXY_COMPOSE_FILE);
const config = parseNginx(renderTemplate(template, vars));
const tls = serverListening(config, vars['BYOK_HTTPS_LISTEN']);
const plain = serverListening(config, vars['BYOK_HTTP_LISTEN']);
const baseConfig = parseNginx(renderTemplate(readTemplate(ROOT), vars));
const baseTls = serverListening(baseConfig, vars['BYOK_HTTPS_LISTEN']);

/** Open to anyone: the probes, and oauth2-proxy's own pages (which do their own checks). */
const OPEN = ['= /api/health', '= /api/health/ready', '/oauth2/'];
/** The locations to the API: a signed-out caller gets 401 in the API's error format there, not a sign-in redirect. */
const API_LOCATIONS = ['/api/', '= /api/chat/stream', '= /api/auth/session', '/socket.io/'];
/** What sign-in adds to byok.conf.template; anything else that differs is drift. */
const SIGN_IN_LOCATIONS = [
  '= /api/health',
  '= /api/health/ready',
  '= /api/auth/session',
  '/oauth2/',
  '= /oauth2/auth',
  '= /oauth2/auth-or-anonymous',
  '@anonymous',
  '@sign_in',
  '@unauthenticated',
];
const SIGN_IN_DIRECTIVES = ['absolute_redirect', 'auth_request', 'auth_request_set', 'error_page'];

interface Located {
  path: string;
  /** The server, then each enclosing location, then this one. */
  levels: Directive[][];
}

/** Every location of a server, nested ones included, with the levels nginx inherits from. */
function locations(server: Directive[], levels: Directive[][] = [server]): Located[] {
  return all(levels.at(-1) as Directive[], 'location').flatMap((directive) => {
    const own = [...levels, blockOf(directive)];
    return [{ path: directive.args.join(' '), levels: own }, ...locations(server, own)];
  });
}

const proxied = (levels: Directive[][], upstream: string): boolean =>
  effective(levels, 'proxy_pass')[0]?.args[0]?.startsWith(`http://${upstream}`) ?? false;
const isIdentityHeader = (directive: Directive): boolean =>
  directive.name === 'proxy_set_header' && [...identityHeaders(tls).values()].includes(directive.args[0]);

/** `extra` holds every directive of `base` (same name, arguments and block); returns what it adds. */
function added(base: readonly Directive[], extra: readonly Directive[]): Directive[] {
  const remaining = [...extra];
  for (const directive of base) {
    const key = JSON.stringify(directive);
    const index = remaining.findIndex((candidate) => JSON.stringify(candidate) === key);
    if (index < 0) throw new Error(`missing from the sign-in template: ${key}`);
    remaining.splice(index, 1);
  }
  return remaining;
}

describe('nginx sign-in template (docker/nginx-oauth2-proxy.conf.template)', () => {
  it('gets every variable it uses from the proxy image and the two compose files', () => {
    expect(() => renderTemplate(template, vars)).not.toThrow();
    const upstream = all(config, 'upstream').find((directive) => directive.args[0] === 'byok_oauth2_proxy') as Directive;
    expect(one(blockOf(upstream), 'server').args).toEqual([vars['BYOK_OAUTH2_PROXY_SERVER']]);
    expect(vars['BYOK_OAUTH2_PROXY_SERVER']).toBe('oauth2-proxy:4180');
  });

  it('asks oauth2-proxy about every location of the TLS server except the probes and its own pages', () => {
    const open: string[] = [];
    for (const { path, levels } of locations(tls)) {
      const block = levels.at(-1) as Directive[];
      if (path.startsWith('@')) {
        // Named locations only answer; they are where a refused request ends up.
        expect({
          path,
          names: block.map((directive) => directive.name).filter((name) => !['return', 'default_type'].includes(name)),
        }).toEqual({ path, names: [] });
        continue;
      }
      const check = effective(levels, 'auth_request')[0]?.args[0];
      if (check === 'off') {
        if (all(block, 'internal').length === 0) open.push(path);
        continue;
      }
      const expected = path === '= /api/auth/session' ? '/oauth2/auth-or-anonymous' : '/oauth2/auth';
      expect({ path, check }).toEqual({ path, check: expected });
    }
    expect(open.sort()).toEqual([...OPEN].sort());
    // Open locations never reach the API except for the probes.
    for (const { path, levels } of locations(tls).filter((entry) => OPEN.includes(entry.path))) {
      const upstream = path.startsWith('= /api/health') ? 'byok_api' : 'byok_oauth2_proxy';
      expect({ path, proxied: proxied(levels, upstream) }).toEqual({ path, proxied: true });
    }
    // The two auth locations are the subrequests themselves: internal, never open to a client.
    for (const path of ['= /oauth2/auth', '= /oauth2/auth-or-anonymous']) {
      expect(all(location(tls, ...path.split(' ')), 'internal')).toHaveLength(1);
    }
  });

  it("gives the API the person only from oauth2-proxy's answer, so a client's own headers never pass", () => {
    const headers = identityHeaders(tls);
    expect([...headers.keys()].sort()).toEqual(['x-auth-request-email', 'x-auth-request-groups', 'x-auth-request-user']);
    const toApi = locations(tls).filter(({ levels }) => proxied(levels, 'byok_api') || proxied(levels, 'byok_socket'));
    expect(toApi.map(({ path }) => path).sort()).toEqual(
      [...OPEN.filter((path) => path.startsWith('= /api/health')), ...API_LOCATIONS].sort(),
    );
    for (const { path, levels } of toApi) {
      const sent = proxyHeaders(levels);
      const fromAnswer = new Map(
        effective(levels, 'auth_request_set').map((directive) => [directive.args[1], directive.args[0]]),
      );
      for (const [answer, header] of headers) {
        // proxy_set_header replaces a client's header of that name, and drops it when the value is empty.
        const variable = fromAnswer.get(`$upstream_http_${answer.replace(/-/g, '_')}`);
        expect({ path, header, value: sent.get(header.toLowerCase()) }).toEqual({ path, header, value: variable });
        expect(variable).toMatch(/^\$byok_auth_/);
      }
    }
  });

  it('sends a signed-out browser to sign in, and gives a signed-out API call 401 in the API error format', () => {
    expect(one(tls, 'error_page').args).toEqual(['401', '=', '@sign_in']);
    expect(one(location(tls, '@sign_in'), 'return').args).toEqual(['302', '/oauth2/sign_in?rd=$request_uri']);
    // Absolute redirects would carry the container's port (8443), not the published one.
    expect(one(tls, 'absolute_redirect').args).toEqual(['off']);
    for (const path of API_LOCATIONS) {
      expect({ path, page: effective([tls, location(tls, ...path.split(' '))], 'error_page')[0].args }).toEqual({
        path,
        page: ['401', '=', '@unauthenticated'],
      });
    }
    const unauthenticated = location(tls, '@unauthenticated');
    expect(one(unauthenticated, 'default_type').args).toEqual(['application/json']);
    const [status, body] = one(unauthenticated, 'return').args;
    expect(status).toBe('401');
    const parsed = JSON.parse(body) as { statusCode: number; code: string; message: string };
    expect(parsed).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String) });
    expect(API_ERROR_CODES).toContain(parsed.code);
  });

  it("asks oauth2-proxy with nginx's own X-Forwarded-Uri and no request body", () => {
    for (const path of ['= /oauth2/auth', '= /oauth2/auth-or-anonymous']) {
      const block = location(tls, ...path.split(' '));
      const sent = proxyHeaders([tls, block]);
      // Set here from the original request, so a client's X-Forwarded-Uri never decides what oauth2-proxy sees.
      expect({ path, uri: sent.get('x-forwarded-uri'), length: sent.get('content-length') }).toEqual({
        path,
        uri: '$request_uri',
        length: '',
      });
      expect(one(block, 'proxy_pass_request_body').args).toEqual(['off']);
      expect(one(block, 'proxy_pass').args[0]).toMatch(/^http:\/\/byok_oauth2_proxy(\/oauth2\/auth)?$/);
    }
    const anonymous = location(tls, '=', '/oauth2/auth-or-anonymous');
    expect(one(anonymous, 'proxy_intercept_errors').args).toEqual(['on']);
    expect(one(anonymous, 'error_page').args).toEqual(['401', '=', '@anonymous']);
    expect(one(location(tls, '@anonymous'), 'return').args).toEqual(['204']);
  });

  it('keeps the WebSocket and streaming settings: unbuffered SSE and socket.io, upgrade, ip_hash', () => {
    const socket = [tls, location(tls, '/socket.io/')];
    expect(proxyHeaders(socket).get('upgrade')).toBe('$http_upgrade');
    expect(effective(socket, 'proxy_buffering')[0].args).toEqual(['off']);
    expect(seconds(effective(socket, 'proxy_read_timeout')[0].args[0])).toBeGreaterThan(45);
    const sse = [tls, location(tls, '=', '/api/chat/stream')];
    expect(effective(sse, 'proxy_buffering')[0].args).toEqual(['off']);
    const socketUpstream = all(config, 'upstream').find((directive) => directive.args[0] === 'byok_socket') as Directive;
    expect(all(blockOf(socketUpstream), 'ip_hash')).toHaveLength(1);
  });

  it('differs from deploy/nginx/templates/byok.conf.template only by sign-in', () => {
    const top = (parsed: Directive[]) => parsed.filter((directive) => directive.name !== 'server');
    expect(added(top(baseConfig), top(config)).map((directive) => directive.args.join(' '))).toEqual(['byok_oauth2_proxy']);
    expect(plain).toEqual(serverListening(baseConfig, vars['BYOK_HTTP_LISTEN']));
    const notLocation = (server: Directive[]) => server.filter((directive) => directive.name !== 'location');
    const serverExtras = added(notLocation(baseTls), notLocation(tls));
    expect(
      serverExtras.filter((directive) => !SIGN_IN_DIRECTIVES.includes(directive.name) && !isIdentityHeader(directive)),
    ).toEqual([]);
    const baseLocations = all(baseTls, 'location').map((directive) => directive.args.join(' '));
    for (const path of baseLocations) {
      const extras = added(location(baseTls, ...path.split(' ')), location(tls, ...path.split(' ')));
      expect({
        path,
        extras: extras.filter((directive) => !SIGN_IN_DIRECTIVES.includes(directive.name) && !isIdentityHeader(directive)),
      }).toEqual({ path, extras: [] });
    }
    const newLocations = all(tls, 'location')
      .map((directive) => directive.args.join(' '))
      .filter((path) => !baseLocations.includes(path));
    expect(newLocations.sort()).toEqual([...SIGN_IN_LOCATIONS].sort());
  });
});

const nginxAvailable = spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
const describeWithNginx = describeWithTool('nginx', nginxAvailable, 'apt-get install nginx');

interface Seen {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
}

/** A loopback HTTP server that records what reaches it. */
async function recorder(
  answer: (seen: Seen, res: ServerResponse) => void,
): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      const entry = { url: req.url ?? '', method: req.method ?? '', headers: req.headers };
      seen.push(entry);
      answer(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const SESSION_COOKIE = '__Host-byok-auth=alice-session';
const FORGED = { 'x-forwarded-user': 'mallory', 'x-forwarded-email': 'mallory@evil.example', 'x-forwarded-groups': 'admins' };

describeWithNginx('the sign-in template in a running nginx (fake oauth2-proxy and API on loopback)', () => {
  let prefix: NginxPrefix | undefined;
  let nginx: ManagedProcess;
  let api: Awaited<ReturnType<typeof recorder>>;
  let oauth2Proxy: Awaited<ReturnType<typeof recorder>>;
  let ca: string;
  let base: string;

  beforeAll(async () => {
    // Stands in for oauth2-proxy --set-xauthrequest: 202 and the person for the session cookie, else 401.
    oauth2Proxy = await recorder((seen, res) => {
      if (seen.url !== '/oauth2/auth') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('oauth2-proxy page');
      } else if (!(seen.headers.cookie ?? '').includes(SESSION_COOKIE)) {
        res.writeHead(401).end();
      } else {
        res
          .writeHead(202, {
            'x-auth-request-user': 'alice-sub',
            'x-auth-request-email': 'alice@example.com',
            'x-auth-request-groups': 'eng,ml',
          })
          .end();
      }
    });
    api = await recorder((_seen, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    prefix = NginxPrefix.create('sign-in');
    const web = join(prefix.dir, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>BYOK chat</title>\n');
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    const args = prefix.configure(
      renderTemplate(template, {
        ...vars,
        BYOK_API_SERVERS: `server 127.0.0.1:${api.port};`,
        BYOK_OAUTH2_PROXY_SERVER: `127.0.0.1:${oauth2Proxy.port}`,
        BYOK_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
        BYOK_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
        BYOK_TLS_CERT: prefix.tlsCert,
        BYOK_TLS_KEY: prefix.tlsKey,
        BYOK_WEB_ROOT: web,
        BYOK_ACCESS_LOG: prefix.accessLog,
      }),
    );
    nginx = ManagedProcess.start({
      name: 'nginx',
      command: 'nginx',
      args: [...args, '-g', 'daemon off;'],
      cwd: prefix.dir,
      env: { PATH: process.env['PATH'] },
      logFile: join(prefix.dir, 'logs', 'nginx.out'),
    });
    await waitFor('nginx', () => isPortOpen(httpsPort), { timeoutMs: 10_000, process: nginx });
    ca = readFileSync(prefix.tlsCert, 'utf8');
    base = `https://127.0.0.1:${httpsPort}`;
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([api, oauth2Proxy].map((fake) => fake && new Promise((resolve) => fake.server.close(resolve))));
    prefix?.remove();
  });

  beforeEach(() => {
    api.seen.length = 0;
    oauth2Proxy.seen.length = 0;
  });

  const send = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    httpsRequest(ca, `${base}${path}`, { method, headers: { host: 'localhost', ...headers } });
  const identity = (headers: IncomingHttpHeaders) => ({
    user: headers['x-forwarded-user'],
    email: headers['x-forwarded-email'],
    groups: headers['x-forwarded-groups'],
  });

  it.each([
    { method: 'GET', path: API_ROUTES.providerKeys },
    { method: 'POST', path: API_ROUTES.chatStream },
    { method: 'GET', path: '/socket.io/?EIO=4&transport=polling' },
  ])("passes the signed-in person on $method $path, whatever the client's own headers say", async ({ method, path }) => {
    const response = await send(path, { cookie: SESSION_COOKIE, ...FORGED }, method);
    expect(response.status).toBe(200);
    expect(api.seen.map((seen) => identity(seen.headers))).toEqual([
      { user: 'alice-sub', email: 'alice@example.com', groups: 'eng,ml' },
    ]);
    // The subrequest carried no body, and the path nginx saw rather than one a client claims.
    expect(
      oauth2Proxy.seen.map((seen) => ({
        url: seen.url,
        uri: seen.headers['x-forwarded-uri'],
        length: seen.headers['content-length'],
      })),
    ).toEqual([{ url: '/oauth2/auth', uri: path, length: undefined }]);
  });

  it.each([
    { method: 'GET', path: API_ROUTES.providerKeys },
    { method: 'POST', path: API_ROUTES.chatStream },
    { method: 'GET', path: '/socket.io/?EIO=4&transport=polling' },
  ])('refuses $method $path signed out with 401 unauthenticated, before the API', async ({ method, path }) => {
    const response = await send(path, { ...FORGED, 'x-forwarded-uri': API_ROUTES.health }, method);
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String) });
    expect(api.seen).toEqual([]);
    expect(oauth2Proxy.seen.map((seen) => seen.headers['x-forwarded-uri'])).toEqual([path]);
  });

  it('sends a signed-out browser to sign in with a relative redirect back to the page', async () => {
    const response = await send('/settings?tab=keys');
    expect({ status: response.status, location: response.headers.location }).toEqual({
      status: 302,
      location: '/oauth2/sign_in?rd=/settings?tab=keys',
    });
  });

  it('serves the web app once signed in', async () => {
    const response = await send('/settings', { cookie: SESSION_COOKIE });
    expect(response.status).toBe(200);
    expect(response.body).toContain('<title>BYOK chat</title>');
  });

  it.each([API_ROUTES.health, API_ROUTES.ready])('lets probes reach %s signed out, with no user header at all', async (path) => {
    const response = await send(path, FORGED);
    expect(response.status).toBe(200);
    expect(api.seen.map((seen) => identity(seen.headers))).toEqual([{ user: undefined, email: undefined, groups: undefined }]);
    expect(oauth2Proxy.seen).toEqual([]);
  });

  it('answers /api/auth/session signed out without a person, and signed in with one', async () => {
    expect((await send(API_ROUTES.authSession, FORGED)).status).toBe(200);
    expect((await send(API_ROUTES.authSession, { cookie: SESSION_COOKIE, ...FORGED })).status).toBe(200);
    expect(api.seen.map((seen) => identity(seen.headers))).toEqual([
      { user: undefined, email: undefined, groups: undefined },
      { user: 'alice-sub', email: 'alice@example.com', groups: 'eng,ml' },
    ]);
  });

  it("hands the web app's returnTo to oauth2-proxy as rd, and proxies its pages with nginx's headers", async () => {
    const redirect = await send('/oauth2/sign_in?returnTo=%2Fsettings%3Ftab%3Dkeys');
    expect({ status: redirect.status, location: redirect.headers.location }).toEqual({
      status: 302,
      location: '/oauth2/sign_in?rd=%2Fsettings%3Ftab%3Dkeys',
    });
    const page = await send('/oauth2/sign_in?rd=%2Fsettings', { 'x-forwarded-uri': '/elsewhere', 'x-forwarded-proto': 'http' });
    expect(page.status).toBe(200);
    expect(
      oauth2Proxy.seen.map((seen) => ({
        url: seen.url,
        uri: seen.headers['x-forwarded-uri'],
        proto: seen.headers['x-forwarded-proto'],
      })),
    ).toEqual([{ url: '/oauth2/sign_in?rd=%2Fsettings', uri: '/oauth2/sign_in?rd=%2Fsettings', proto: 'https' }]);
  });

  it('keeps the auth subrequest unreachable for clients', async () => {
    expect((await send('/oauth2/auth', { cookie: SESSION_COOKIE })).status).toBe(404);
    expect((await send('/oauth2/auth-or-anonymous')).status).toBe(404);
    expect(oauth2Proxy.seen).toEqual([]);
  });
});

describeWithNginx('nginx -t on the sign-in template', () => {
  let prefix: NginxPrefix;
  beforeAll(() => {
    prefix = NginxPrefix.create('t-sign-in');
  });
  afterAll(() => prefix.remove());

  // nginx -t resolves upstream names and opens the certificate, so those point at local stand-ins.
  const test = (overrides: Record<string, string>): { status: number | null; output: string } =>
    prefix.syntaxCheck(
      renderTemplate(template, {
        ...vars,
        BYOK_API_SERVERS: vars['BYOK_API_SERVERS'].replace(/api-(\d+):3000/g, '127.0.0.1:300$1'),
        BYOK_OAUTH2_PROXY_SERVER: vars['BYOK_OAUTH2_PROXY_SERVER'].replace(/^oauth2-proxy:/, '127.0.0.1:'),
        BYOK_HTTP_LISTEN: '127.0.0.1:18080',
        BYOK_HTTPS_LISTEN: '127.0.0.1:18443',
        BYOK_TLS_CERT: prefix.tlsCert,
        BYOK_TLS_KEY: prefix.tlsKey,
        BYOK_ACCESS_LOG: prefix.accessLog,
        ...overrides,
      }),
    );

  it('accepts the config as the proxy container renders it (host names and paths mapped to this machine)', () => {
    const result = test({});
    expect(result.output).toContain('syntax is ok');
    expect(result.output).not.toMatch(/\[warn\]|\[emerg\]/);
    expect(result.status).toBe(0);
  });

  it('rejects it without an oauth2-proxy address, so the check is not vacuous', () => {
    const result = test({ BYOK_OAUTH2_PROXY_SERVER: '' });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/\[emerg\]/);
  });
});
