import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { contextSources, envOf, instructions, parseDockerfile, stage } from './support/dockerfile';
import { isApiSetting, readText, ROOT } from './support/workspace';

const { args, stages } = parseDockerfile(readText('docker/Dockerfile'));
const api = stage(stages, 'api');
const proxy = stage(stages, 'proxy');
const lastValue = (target: typeof api, keyword: string): string | undefined => instructions(target, keyword).at(-1)?.value;

/** .dockerignore patterns as regular expressions (`**`, `*`, and `!` exceptions). */
function dockerignore(): (path: string) => boolean {
  const rules = readText('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '(?:.*/)?' : `${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`))
        .join('')
        .replace(/\/$/, '');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => rules.reduce((ignored, rule) => (rule.regex.test(path) ? !rule.negate : ignored), false);
}

describe('docker/Dockerfile', () => {
  it('runs the api and proxy images as a non-root user', () => {
    for (const target of [api, proxy]) {
      const user = lastValue(target, 'USER');
      expect({ stage: target.name, user }).toEqual({ stage: target.name, user: expect.not.stringMatching(/^(root|0)(:|$)/) });
      // No instruction after the last USER switches back.
      const index = target.instructions.findLastIndex((instruction) => instruction.keyword === 'USER');
      expect(target.instructions.slice(index + 1).map((instruction) => instruction.keyword)).not.toContain('USER');
    }
    expect(lastValue(api, 'USER')).toBe('node');
  });

  it('gives both images a HEALTHCHECK: the API liveness route, and the proxy health location', () => {
    expect(lastValue(api, 'HEALTHCHECK')).toMatch(/\/api\/health'/);
    expect(lastValue(proxy, 'HEALTHCHECK')).toMatch(/:8080\/nginx-health/);
    expect(readText('deploy/nginx/templates/byok.conf.template')).toMatch(/location = \/nginx-health/);
  });

  it('builds with npm ci and Nx, and ships the API with pruned production dependencies only', () => {
    const build = stage(stages, 'build');
    const runs = instructions(build, 'RUN').map((instruction) => instruction.value);
    expect(runs.some((run) => /\bnpm ci\b/.test(run))).toBe(true);
    expect(runs.some((run) => /nx run-many -t build -p api,web/.test(run))).toBe(true);
    const deps = instructions(stage(stages, 'api-deps'), 'RUN').map((instruction) => instruction.value);
    expect(deps.some((run) => /npm ci --omit=dev/.test(run))).toBe(true);
    expect(deps.some((run) => /npm prune --omit=dev/.test(run))).toBe(true);
    const copies = instructions(api, 'COPY').map((instruction) => instruction.value);
    expect(copies).toEqual([
      '--from=api-deps /app/package.json ./package.json',
      '--from=api-deps /app/node_modules ./node_modules',
      '--from=build /src/dist/apps/api ./dist/apps/api',
    ]);
    expect(lastValue(api, 'CMD')).toBe('["node", "--enable-source-maps", "dist/apps/api/main.js"]');
  });

  it('starts the runtime images from slim Node and unprivileged nginx bases', () => {
    const defaults = Object.fromEntries(args.map((arg) => arg.value.split('=') as [string, string]));
    expect(api.from).toBe('${NODE_IMAGE}');
    expect(defaults['NODE_IMAGE']).toMatch(/^node:20(\.\d+)*-(bookworm-)?slim$/);
    expect(proxy.from).toBe('${NGINX_IMAGE}');
    expect(defaults['NGINX_IMAGE']).toMatch(/^nginxinc\/nginx-unprivileged:/);
  });

  it('sets only API settings in the API image environment', () => {
    const env = envOf(api);
    expect([...env.keys()].filter((name) => !isApiSetting(name))).toEqual([]);
    expect(env.get('NODE_ENV')).toBe('production');
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignored = dockerignore();
    for (const target of stages) {
      for (const source of contextSources(target)) {
        expect({ source, exists: existsSync(join(ROOT, source)), ignored: ignored(source) }).toEqual({
          source,
          exists: true,
          ignored: false,
        });
      }
    }
  });
});

describe('.dockerignore', () => {
  it.each(['node_modules', 'apps/api/node_modules', 'dist', '.env', '.env.production', '.git', 'deploy/certs/tls.key', '.nx'])(
    'keeps %s out of the build context',
    (path) => {
      expect(dockerignore()(path)).toBe(true);
    },
  );

  it('still sends .env.example and the sources', () => {
    for (const path of ['.env.example', 'apps/api/src/main.ts', 'package-lock.json']) expect(dockerignore()(path)).toBe(false);
  });
});
