import { spawnSync } from 'node:child_process';
import { BUILT_IN_PROVIDER_IDS } from '@byok/contracts';
import { renderTemplate } from '@byok/cluster';
import { parse } from 'yaml';
import { instructions, parseDockerfile, stage } from './support/dockerfile';
import { inSubnet } from './support/ipv4';
import { parseNginx, serverListening } from './support/nginx-conf';
import { identityHeaders, proxyContainerVars } from './support/proxy-container';
import { describeWithTool } from './support/required-tool';
import {
  apiSettings,
  COMPOSE_FILE,
  environmentOf,
  interpolatedVariables,
  isApiSetting,
  loadCompose,
  OAUTH2_PROXY_COMPOSE_FILE,
  OAUTH2_PROXY_TEMPLATE,
  OIDC_COMPOSE_FILE,
  readText,
  ROOT,
  type ComposeFile,
  type ComposeService,
  apiServiceNames,
} from './support/workspace';

const base = loadCompose();
const apiServices = apiServiceNames(base);
const oauth2 = loadCompose(OAUTH2_PROXY_COMPOSE_FILE);
const oidc = loadCompose(OIDC_COMPOSE_FILE);

/** Settings both sign-in variants pass through from .env, blank meaning the API's default. */
const KEY_SETTINGS = [
  'KEY_LIFETIMES',
  ...BUILT_IN_PROVIDER_IDS.map((id) => `KEY_ENV_GROUPS_${apiSettings().providerEnvStem(id)}`),
];

/** The OIDC settings without which the API cannot sign anyone in (readAuthConfig requires them). */
const REQUIRED_OIDC = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'];

/**
 * oauth2-proxy v7.15.3's flags and environment variables this deployment uses, as its
 * pkg/apis/options declares them (flag `--foo-bar`, variable OAUTH2_PROXY_<cfg name>). An unknown
 * flag stops oauth2-proxy at start, which no static check here would otherwise notice.
 */
const OAUTH2_PROXY_FLAGS = [
  'allowed-group',
  'client-id',
  'code-challenge-method',
  'cookie-expire',
  'cookie-name',
  'cookie-samesite',
  'cookie-secure',
  'email-domain',
  'http-address',
  'oidc-groups-claim',
  'oidc-issuer-url',
  'provider',
  'redirect-url',
  'reverse-proxy',
  'scope',
  'session-cookie-minimal',
  'set-xauthrequest',
  'silence-ping-logging',
  'skip-provider-button',
  'upstream',
  'whitelist-domain',
];
const OAUTH2_PROXY_VARIABLES = ['OAUTH2_PROXY_CLIENT_SECRET', 'OAUTH2_PROXY_COOKIE_SECRET', 'OAUTH2_PROXY_TRUSTED_PROXY_IPS'];

/** `--name=value` arguments by name; a flag given twice keeps both values. */
function flagsOf(service: ComposeService): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (const argument of service.command as string[]) {
    const match = /^--([a-z0-9-]+)=(.*)$/s.exec(argument);
    if (!match) throw new Error(`not a --name=value flag: ${argument}`);
    flags.set(match[1], [...(flags.get(match[1]) ?? []), match[2]]);
  }
  return flags;
}

function flag(service: ComposeService, name: string): string {
  const values = flagsOf(service).get(name) ?? [];
  if (values.length !== 1) throw new Error(`expected --${name} once, found ${values.length}`);
  return values[0];
}

function apiEnvironments(file: ComposeFile): Record<string, string>[] {
  return apiServices.map((api) => environmentOf(file.services[api]));
}

describe.each([
  { file: OAUTH2_PROXY_COMPOSE_FILE, compose: oauth2, mode: 'proxy' },
  { file: OIDC_COMPOSE_FILE, compose: oidc, mode: 'oidc' },
])('$file (sign-in on top of docker-compose.yml)', ({ compose, mode }) => {
  it('switches every API instance of docker-compose.yml to sign-in, none left anonymous', () => {
    expect(apiServiceNames(compose)).toEqual(apiServices);
    for (const environment of apiEnvironments(compose)) expect(environment['AUTH_MODE']).toBe(mode);
  });

  it('gives every instance the same settings, each one the API reads', () => {
    const [first, ...others] = apiEnvironments(compose);
    for (const other of others) expect(other).toEqual(first);
    expect(Object.keys(first).filter((name) => !isApiSetting(name))).toEqual([]);
  });

  it('passes KEY_LIFETIMES and the KEY_ENV_GROUPS_* of every built-in provider through from .env', () => {
    const [environment] = apiEnvironments(compose);
    for (const name of KEY_SETTINGS) expect({ name, value: environment[name] }).toEqual({ name, value: `\${${name}:-}` });
  });

  it('has no top-level name and publishes nothing beyond what docker-compose.yml does', () => {
    expect(Object.keys(compose)).not.toContain('name');
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, ports: service.ports }).toEqual({ name, ports: undefined });
    }
  });
});

describe('docker-compose.oauth2-proxy.yml', () => {
  const services = oauth2.services;
  const oauth2Proxy = services['oauth2-proxy'];
  const [api] = apiEnvironments(oauth2);
  const edge = oauth2.networks?.['edge']?.ipam?.config ?? [];
  const proxyEdge = (services['proxy'].networks as Record<string, { ipv4_address?: string }>)['edge'];

  it('runs a pinned oauth2-proxy release, with a healthcheck, without privileges', () => {
    expect(oauth2Proxy.image).toMatch(/^quay\.io\/oauth2-proxy\/oauth2-proxy:v7\.\d+\.\d+(-alpine)?$/);
    expect(JSON.stringify(oauth2Proxy.healthcheck?.test)).toContain('http://127.0.0.1:4180/ping');
    // A numeric uid:gid other than root's: the alpine image itself would run as root.
    expect(oauth2Proxy.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(oauth2Proxy.read_only).toBe(true);
    expect(oauth2Proxy.cap_drop).toEqual(['ALL']);
    expect(services['proxy'].depends_on).toEqual({ 'oauth2-proxy': { condition: 'service_healthy' } });
  });

  it('uses only flags and variables oauth2-proxy has, each flag once', () => {
    const flags = flagsOf(oauth2Proxy);
    expect([...flags.keys()].filter((name) => !OAUTH2_PROXY_FLAGS.includes(name))).toEqual([]);
    expect([...flags].filter(([, values]) => values.length > 1)).toEqual([]);
    expect(Object.keys(environmentOf(oauth2Proxy)).sort()).toEqual(OAUTH2_PROXY_VARIABLES);
  });

  it('answers nginx auth_request with the person in X-Auth-Request-* headers, proxying nothing itself', () => {
    expect(flag(oauth2Proxy, 'set-xauthrequest')).toBe('true');
    expect(flag(oauth2Proxy, 'upstream')).toBe('static://202');
    expect(flag(oauth2Proxy, 'reverse-proxy')).toBe('true');
    expect(flag(oauth2Proxy, 'provider')).toBe('oidc');
    expect(flag(oauth2Proxy, 'http-address')).toBe(
      `0.0.0.0:${environmentOf(services['proxy'])['BYOK_OAUTH2_PROXY_SERVER'].split(':')[1]}`,
    );
    expect(environmentOf(services['proxy'])['BYOK_OAUTH2_PROXY_SERVER']).toBe('oauth2-proxy:4180');
  });

  it('keeps its session in a Secure, host-only cookie without tokens', () => {
    expect(flag(oauth2Proxy, 'cookie-secure')).toBe('true');
    // __Host- makes browsers refuse the cookie unless it is Secure, host-only and for /.
    expect(flag(oauth2Proxy, 'cookie-name')).toMatch(/^__Host-/);
    expect(flag(oauth2Proxy, 'cookie-samesite')).toBe('lax');
    expect(flag(oauth2Proxy, 'session-cookie-minimal')).toBe('true');
  });

  it('requires the identity provider, client, redirect URL and email domains, and takes secrets only from the environment', () => {
    const required = {
      'oidc-issuer-url': 'OAUTH2_PROXY_OIDC_ISSUER_URL',
      'client-id': 'OAUTH2_PROXY_CLIENT_ID',
      'redirect-url': 'OAUTH2_PROXY_REDIRECT_URL',
      'email-domain': 'OAUTH2_PROXY_EMAIL_DOMAINS',
    };
    for (const [name, variable] of Object.entries(required)) {
      expect({ name, value: flag(oauth2Proxy, name) }).toEqual({
        name,
        value: expect.stringMatching(new RegExp(`^\\$\\{${variable}:\\?`)),
      });
    }
    const environment = environmentOf(oauth2Proxy);
    // On the command line they would show in `ps` on the host.
    for (const secret of ['OAUTH2_PROXY_CLIENT_SECRET', 'OAUTH2_PROXY_COOKIE_SECRET']) {
      expect(environment[secret]).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
    }
    expect([...flagsOf(oauth2Proxy).keys()].filter((name) => /secret/.test(name))).toEqual([]);
  });

  it('fixes nginx an address on edge that Docker never hands out to another container', () => {
    expect(edge).toHaveLength(1);
    const [{ subnet, ip_range: range }] = edge;
    const address = proxyEdge.ipv4_address as string;
    expect(inSubnet(address, subnet as string)).toBe(true);
    expect(inSubnet(range as string, subnet as string)).toBe(true);
    expect(inSubnet(address, range as string)).toBe(false);
  });

  it('makes the API believe the user headers, and oauth2-proxy X-Forwarded-*, from nginx only', () => {
    // A hop count or `true` trusts whatever connects: oauth2-proxy or any container on edge could
    // then name any person. Only nginx's own address will do.
    expect(api['TRUST_PROXY']).toBe(proxyEdge.ipv4_address);
    expect(api['TRUST_PROXY']).not.toMatch(/^(true|\d+)$/);
    expect(environmentOf(oauth2Proxy)['OAUTH2_PROXY_TRUSTED_PROXY_IPS']).toBe(proxyEdge.ipv4_address);
  });

  it("names exactly the headers the nginx template fills from oauth2-proxy's answer", () => {
    const vars = proxyContainerVars(COMPOSE_FILE, OAUTH2_PROXY_COMPOSE_FILE);
    const tls = serverListening(parseNginx(renderTemplate(readText(OAUTH2_PROXY_TEMPLATE), vars)), vars['BYOK_HTTPS_LISTEN']);
    const headers = identityHeaders(tls);
    expect(api['AUTH_MODE']).toBe('proxy');
    expect(api['AUTH_PROXY_USER_HEADER']).toBe(headers.get('x-auth-request-user'));
    expect(api['AUTH_PROXY_EMAIL_HEADER']).toBe(headers.get('x-auth-request-email'));
    expect(api['AUTH_PROXY_GROUPS_HEADER']).toBe(headers.get('x-auth-request-groups'));
    expect(api['AUTH_PROXY_SIGN_IN_URL']).toBe('/oauth2/sign_in');
    expect(api['AUTH_PROXY_SIGN_OUT_URL']).toBe('${AUTH_PROXY_SIGN_OUT_URL:-/oauth2/sign_out}');
  });

  it('mounts the sign-in template where the proxy image keeps its own', () => {
    const copy = instructions(stage(parseDockerfile(readText('docker/Dockerfile')).stages, 'proxy'), 'COPY')
      .map((instruction) => instruction.value.split(/\s+/))
      .find((words) => words[0] === 'deploy/nginx/templates/byok.conf.template') as string[];
    expect(services['proxy'].volumes).toEqual([`./${OAUTH2_PROXY_TEMPLATE}:${copy[1]}:ro`]);
  });
});

describe('docker-compose.oidc.yml', () => {
  const [api] = apiEnvironments(oidc);
  const oidcSettings = apiSettings()
    .SETTINGS.map((setting) => setting.name)
    .filter((name) => name.startsWith('OIDC_'));

  it('passes every OIDC_* setting of the API, the ones it cannot do without required', () => {
    expect(
      Object.keys(api)
        .filter((name) => name.startsWith('OIDC_'))
        .sort(),
    ).toEqual([...oidcSettings].sort());
    for (const name of oidcSettings) {
      const form = REQUIRED_OIDC.includes(name) ? `\\$\\{${name}:\\?[^}]+\\}` : `\\$\\{${name}:-\\}`;
      expect({ name, value: api[name] }).toEqual({ name, value: expect.stringMatching(new RegExp(`^${form}$`)) });
    }
  });

  it('adds no service: the API signs people in itself, through the nginx of docker-compose.yml', () => {
    expect(Object.keys(oidc.services).sort()).toEqual([...apiServices].sort());
  });
});

describe('docs/deployment-https.md', () => {
  const docs = readText('docs/deployment-https.md');

  it.each([{ file: OAUTH2_PROXY_COMPOSE_FILE }, { file: OIDC_COMPOSE_FILE }])(
    'names every variable $file reads from .env',
    ({ file }) => {
      const undocumented = [...interpolatedVariables(readText(file))].filter((name) => !docs.includes(`\`${name}\``));
      expect(undocumented).toEqual([]);
    },
  );
});

const dockerComposeAvailable = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const describeWithCompose = describeWithTool('docker-compose', dockerComposeAvailable, 'apt-get install docker-compose');

describeWithCompose('docker-compose config with a sign-in override (Compose v1.29, no engine needed)', () => {
  const secrets = { REDIS_PASSWORD: 'a'.repeat(32), SESSION_SECRET: 'b'.repeat(32), KEYSTORE_SECRETS: 'c'.repeat(32) };
  const variants: { file: string; required: Record<string, string> }[] = [
    {
      file: OAUTH2_PROXY_COMPOSE_FILE,
      required: {
        OAUTH2_PROXY_OIDC_ISSUER_URL: 'https://idp.example.com/realms/staff',
        OAUTH2_PROXY_CLIENT_ID: 'byok-chat',
        OAUTH2_PROXY_CLIENT_SECRET: 'd'.repeat(32),
        OAUTH2_PROXY_COOKIE_SECRET: 'e'.repeat(32),
        OAUTH2_PROXY_REDIRECT_URL: 'https://chat.example.com/oauth2/callback',
        OAUTH2_PROXY_EMAIL_DOMAINS: 'example.com',
      },
    },
    {
      file: OIDC_COMPOSE_FILE,
      required: {
        OIDC_ISSUER: 'https://idp.example.com/realms/staff',
        OIDC_CLIENT_ID: 'byok-chat',
        OIDC_CLIENT_SECRET: 'd'.repeat(32),
        OIDC_REDIRECT_URI: 'https://chat.example.com/api/auth/callback',
      },
    },
  ];
  const run = (file: string, env: Record<string, string>, quiet = true) =>
    spawnSync(
      'docker-compose',
      ['-f', COMPOSE_FILE, '-f', file, '--project-directory', ROOT, 'config', ...(quiet ? ['-q'] : [])],
      {
        cwd: ROOT,
        env: { PATH: process.env['PATH'], ...env },
        encoding: 'utf8',
      },
    );

  it.each(variants)('accepts $file once its settings and the secrets are set', ({ file, required }) => {
    const result = run(file, { ...secrets, ...required });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it.each(variants)('refuses $file without each required setting, naming it', ({ file, required }) => {
    // Every variable the override requires is in the list above, so none can be forgotten here.
    const requiredByFile = [...readText(file).matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]);
    expect([...new Set(requiredByFile)].sort()).toEqual(Object.keys(required).sort());
    for (const name of Object.keys(required)) {
      const result = run(file, { ...secrets, ...required, [name]: '' });
      expect({ name, refused: result.status !== 0, named: result.stderr.includes(name) }).toEqual({
        name,
        refused: true,
        named: true,
      });
    }
  });

  it.each(variants)('keeps the secrets and Redis of docker-compose.yml under $file', ({ file, required }) => {
    const rendered = parse(run(file, { ...secrets, ...required }, false).stdout) as ComposeFile;
    for (const api of apiServices) {
      const environment = environmentOf(rendered.services[api]);
      expect(environment['REDIS_URL']).toBe(`redis://:${secrets.REDIS_PASSWORD}@redis:6379/0`);
      expect(environment['SESSION_SECRET']).toBe(secrets.SESSION_SECRET);
      expect(environment['NODE_ENV']).toBe('production');
    }
  });

  it('renders the oauth2-proxy variant with nginx at its fixed address and the API trusting only that', () => {
    const variant = variants[0];
    const rendered = parse(run(variant.file, { ...secrets, ...variant.required }, false).stdout) as ComposeFile;
    const proxy = rendered.services['proxy'];
    const address = (proxy.networks as Record<string, { ipv4_address?: string }>)['edge'].ipv4_address;
    expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const api of apiServices) expect(environmentOf(rendered.services[api])['TRUST_PROXY']).toBe(address);
    // Both mounts survive the merge: the certificates of docker-compose.yml and the template.
    expect(proxy.volumes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/:\/etc\/nginx\/certs:ro$/),
        expect.stringMatching(/:\/etc\/nginx\/templates\/byok\.conf\.template:ro$/),
      ]),
    );
    expect(Object.keys(proxy.depends_on as Record<string, unknown>).sort()).toEqual([...apiServices, 'oauth2-proxy'].sort());
    for (const [name, service] of Object.entries(rendered.services)) {
      expect({ name, test: service.healthcheck?.test }).toEqual({ name, test: expect.anything() });
    }
  });
});
