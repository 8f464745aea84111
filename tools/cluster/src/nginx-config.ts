import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Variables of deploy/nginx/templates/byok.conf.template; compose sets the same names. */
export interface NginxTemplateVars {
  BYOK_API_SERVERS: string;
  BYOK_HTTP_LISTEN: string;
  BYOK_HTTPS_LISTEN: string;
  BYOK_PUBLIC_HTTPS_PORT: string;
  BYOK_TLS_CERT: string;
  BYOK_TLS_KEY: string;
  BYOK_WEB_ROOT: string;
  BYOK_ACCESS_LOG: string;
}

export const TEMPLATE_PATH = join('deploy', 'nginx', 'templates', 'byok.conf.template');

/** Names the nginx image's envsubst step may replace (NGINX_ENVSUBST_FILTER in compose). */
export const TEMPLATE_VARIABLE = /\$\{?(BYOK_[A-Z0-9_]+)\}?/g;

export function readTemplate(workspaceRoot: string): string {
  return readFileSync(join(workspaceRoot, TEMPLATE_PATH), 'utf8');
}

/**
 * Renders the template as the nginx image does (envsubst over BYOK_* variables, both `$X` and
 * `${X}`), but refuses to leave one unset: envsubst would silently write an empty string.
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const rendered = template.replace(TEMPLATE_VARIABLE, (match, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return match;
    }
    return value;
  });
  if (missing.size > 0) {
    throw new Error(`nginx template variables without a value: ${[...missing].join(', ')}`);
  }
  return rendered;
}

/**
 * `server host:port;` lines for BYOK_API_SERVERS; those in `down` are marked so, which takes them
 * out of rotation and (unlike removing them) keeps ip_hash sending every other client where it did.
 */
export function apiServers(addresses: readonly string[], down: ReadonlySet<string> = new Set()): string {
  return addresses.map((address) => `server ${address}${down.has(address) ? ' down' : ''};`).join(' ');
}

export interface MainConfigOptions {
  /** Directory holding pid, logs and temp files; nginx runs with it as prefix. */
  prefix: string;
  /** The rendered template's path. */
  siteConfig: string;
  mimeTypes: string;
  /** Set only when nginx starts as root, which otherwise drops workers to a user that may not exist. */
  user?: string;
  /**
   * A loopback listener answering GET /generation with this number: after a reload, a new
   * connection gets the new number once new workers (with the new configuration) accept them.
   */
  control?: { listen: string; generation: number };
}

/**
 * The main nginx.conf around the rendered template, equivalent to the one in the nginx image:
 * every path nginx writes lives under `prefix`, so no root is needed.
 */
export function mainConfig(options: MainConfigOptions): string {
  const { prefix } = options;
  const temp = (name: string): string => join(prefix, 'temp', name);
  return [
    options.user ? `user ${options.user};` : '',
    // One worker keeps round-robin order predictable on a development machine.
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'logs', 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `    include ${options.mimeTypes};`,
    '    default_type application/octet-stream;',
    '    sendfile on;',
    '    keepalive_timeout 65;',
    `    client_body_temp_path ${temp('client_body')};`,
    `    proxy_temp_path ${temp('proxy')};`,
    `    fastcgi_temp_path ${temp('fastcgi')};`,
    `    uwsgi_temp_path ${temp('uwsgi')};`,
    `    scgi_temp_path ${temp('scgi')};`,
    `    include ${options.siteConfig};`,
    ...(options.control
      ? [
          '    server {',
          `        listen ${options.control.listen};`,
          '        access_log off;',
          `        location = /generation { default_type text/plain; return 200 "${options.control.generation}"; }`,
          '    }',
        ]
      : []),
    '}',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
