import { spawnSync } from 'node:child_process';
import { apiServers, readTemplate, renderTemplate } from '@byok/cluster';
import { envOf, parseDockerfile, stage } from './support/dockerfile';
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
import { NginxPrefix } from './support/nginx-prefix';
import { describeWithTool } from './support/required-tool';
import { apiSettings, loadCompose, readText, ROOT } from './support/workspace';

const template = readTemplate(ROOT);
const proxyImageEnv = Object.fromEntries(envOf(stage(parseDockerfile(readText('docker/Dockerfile')).stages, 'proxy')));
const proxyService = loadCompose().services['proxy'];
/** What the proxy container renders the template with: the image's ENV, then compose's environment. */
const composeVars: Record<string, string> = {
  ...proxyImageEnv,
  ...Object.fromEntries(Object.entries(proxyService.environment ?? {}).map(([name, value]) => [name, String(value)])),
  // Compose interpolates this from .env; its default is what a blank .env gives.
  BYOK_PUBLIC_HTTPS_PORT: '443',
};
const config = parseNginx(renderTemplate(template, composeVars));
const tls = serverListening(config, `${composeVars['BYOK_HTTPS_LISTEN']}`);
const plain = serverListening(config, `${composeVars['BYOK_HTTP_LISTEN']}`);
const settingDefault = (name: string): string =>
  apiSettings().SETTINGS.find((setting) => setting.name === name)?.default ?? '';
const durationSeconds = (value: string): number => seconds(value.replace(/^(\d+)$/, '$1s'));

describe('nginx config template', () => {
  it('gets every variable it uses from the proxy image and docker-compose.yml', () => {
    expect(() => renderTemplate(template, composeVars)).not.toThrow();
    expect(proxyImageEnv['NGINX_ENVSUBST_FILTER']).toBe('^BYOK_');
    expect(proxyService.environment?.['BYOK_PUBLIC_HTTPS_PORT']).toBe('${HTTPS_PORT:-443}');
  });

  it('balances /api over every API instance, and keeps each socket.io client on one instance', () => {
    const upstream = (name: string): Directive[] =>
      blockOf(all(config, 'upstream').find((directive) => directive.args[0] === name) as Directive);
    const servers = (block: Directive[]): string[] => all(block, 'server').map((server) => server.args[0]);
    expect(servers(upstream('byok_api'))).toEqual(['api-1:3000', 'api-2:3000']);
    expect(servers(upstream('byok_socket'))).toEqual(['api-1:3000', 'api-2:3000']);
    expect(all(upstream('byok_socket'), 'ip_hash')).toHaveLength(1);
    expect(all(upstream('byok_api'), 'ip_hash')).toHaveLength(0);
    expect(one(location(tls, '/socket.io/'), 'proxy_pass').args).toEqual(['http://byok_socket']);
    expect(one(location(tls, '/api/'), 'proxy_pass').args).toEqual(['http://byok_api']);
  });

  it('upgrades socket.io to WebSocket over HTTP/1.1, unbuffered, with the forwarding headers too', () => {
    const levels = [tls, location(tls, '/socket.io/')];
    const headers = proxyHeaders(levels);
    expect(headers.get('upgrade')).toBe('$http_upgrade');
    const connection = headers.get('connection') as string;
    const map = all(config, 'map').find((directive) => directive.args[1] === connection) as Directive;
    expect(map.args[0]).toBe('$http_upgrade');
    expect(one(blockOf(map), 'default').args).toEqual(['upgrade']);
    expect(effective(levels, 'proxy_http_version')[0].args).toEqual(['1.1']);
    expect(effective(levels, 'proxy_buffering')[0].args).toEqual(['off']);
    // socket.io pings every 25 s and gives up after 20 s more; nginx must outwait both.
    expect(seconds(effective(levels, 'proxy_read_timeout')[0].args[0])).toBeGreaterThan(45);
  });

  it('streams server-sent events unbuffered, with a read timeout above the API first-token timeout', () => {
    const levels = [tls, location(tls, '=', '/api/chat/stream')];
    expect(effective(levels, 'proxy_buffering')[0].args).toEqual(['off']);
    expect(effective(levels, 'gzip')[0]?.args ?? ['off']).toEqual(['off']);
    expect(effective(levels, 'proxy_http_version')[0].args).toEqual(['1.1']);
    const readTimeout = seconds(effective(levels, 'proxy_read_timeout')[0].args[0]);
    expect(readTimeout).toBeGreaterThan(durationSeconds(settingDefault('CHAT_FIRST_TOKEN_TIMEOUT')));
    expect(readTimeout).toBeGreaterThan(durationSeconds(settingDefault('CHAT_IDLE_TIMEOUT')));
  });

  it.each([{ path: '/api/' }, { path: '= /api/chat/stream' }, { path: '/socket.io/' }])(
    'forwards scheme, client address and the Host with its port on location $path',
    ({ path }) => {
      const headers = proxyHeaders([tls, location(tls, ...path.split(' '))]);
      expect(headers.get('x-forwarded-proto')).toBe('$scheme');
      expect(headers.get('x-forwarded-for')).toBe('$proxy_add_x_forwarded_for');
      // $host drops the port, and the API compares Host with the browser's Origin.
      expect(headers.get('host')).toBe('$http_host');
      expect(headers.get('x-forwarded-host')).toBe('$http_host');
    },
  );

  it('lets the API, not nginx, refuse large bodies (nginx allows the most REQUEST_BODY_LIMIT can be)', () => {
    expect(one(tls, 'client_max_body_size').args).toEqual(['16m']);
  });

  it('terminates TLS 1.2+ with the mounted certificate and redirects plain HTTP to the public HTTPS port', () => {
    expect(one(tls, 'ssl_certificate').args).toEqual(['/etc/nginx/certs/tls.crt']);
    expect(one(tls, 'ssl_certificate_key').args).toEqual(['/etc/nginx/certs/tls.key']);
    expect(one(tls, 'ssl_protocols').args).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(all(tls, 'listen')[0].args).toContain('ssl');
    expect(one(location(plain, '/'), 'return').args).toEqual(['301', 'https://$host:443$request_uri']);
    expect(one(location(plain, '=', '/nginx-health'), 'return').args[0]).toBe('200');
  });

  it('serves the web build with the same security headers as the API and index.html revalidated', () => {
    const web = location(tls, '/');
    expect(one(web, 'root').args).toEqual(['/usr/share/nginx/html']);
    expect(one(web, 'try_files').args).toEqual(['$uri', '/index.html']);
    expect(one(web, 'expires').args).toEqual(['epoch']);
    const headers = new Map(all(web, 'add_header').map((directive) => [directive.args[0], directive.args[1]]));
    expect(headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    expect(headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/);
    expect(headers.get('X-Content-Type-Options')).toBe('nosniff');
    // Nested locations set no add_header of their own, so they inherit these.
    for (const nested of all(web, 'location')) expect(all(blockOf(nested), 'add_header')).toEqual([]);
  });
});

const nginxAvailable = spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
const describeWithNginx = describeWithTool('nginx', nginxAvailable, 'apt-get install nginx');

describeWithNginx('nginx -t', () => {
  let prefix: NginxPrefix;
  beforeAll(() => {
    prefix = NginxPrefix.create('t');
  });
  afterAll(() => prefix.remove());

  /** The template as the proxy container renders it, with the certificate and the log on this machine. */
  const test = (vars: Record<string, string>): { status: number | null; output: string } =>
    prefix.syntaxCheck(
      renderTemplate(template, { ...vars, BYOK_TLS_CERT: prefix.tlsCert, BYOK_TLS_KEY: prefix.tlsKey, BYOK_ACCESS_LOG: prefix.accessLog }),
    );

  it('accepts the config as the proxy container renders it (API host names and paths mapped to this machine)', () => {
    // nginx -t resolves upstream names and opens the certificate, so those two point at local stand-ins.
    const result = test({
      ...composeVars,
      BYOK_API_SERVERS: composeVars['BYOK_API_SERVERS'].replace(/api-(\d+):3000/g, '127.0.0.1:300$1'),
      BYOK_HTTP_LISTEN: '127.0.0.1:18080',
      BYOK_HTTPS_LISTEN: '127.0.0.1:18443',
    });
    expect(result.output).toContain('syntax is ok');
    expect(result.output).not.toMatch(/\[warn\]|\[emerg\]/);
    expect(result.status).toBe(0);
  });

  it('rejects a config whose upstream list is empty, so the check is not vacuous', () => {
    const result = test({
      ...composeVars,
      BYOK_API_SERVERS: apiServers([]),
      BYOK_HTTP_LISTEN: '127.0.0.1:18080',
      BYOK_HTTPS_LISTEN: '127.0.0.1:18443',
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/no servers are inside upstream/);
  });
});
