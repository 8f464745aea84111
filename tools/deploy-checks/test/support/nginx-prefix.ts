import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CERT_SCRIPT, mainConfig } from '@byok/cluster';
import { ROOT } from './workspace';

/**
 * A scratch nginx prefix for one suite: a certificate from the project's cert script, the logs and
 * temp directories, and the site and main configs, all under one temporary directory that
 * `remove()` deletes. The paths a rendered template must point at are the `tls*`, `accessLog`
 * and `dir` properties.
 */
export class NginxPrefix {
  private constructor(readonly dir: string) {}

  static create(name: string): NginxPrefix {
    const dir = mkdtempSync(join(tmpdir(), `byok-nginx-${name}-`));
    // Root's nginx workers run as nobody, who must reach what is served from under this directory.
    if (runsAsRoot()) chmodSync(dir, 0o755);
    execFileSync('bash', [join(ROOT, CERT_SCRIPT), join(dir, 'certs')], { stdio: 'ignore' });
    for (const sub of ['logs', 'temp']) mkdirSync(join(dir, sub));
    return new NginxPrefix(dir);
  }

  get tlsCert(): string {
    return join(this.dir, 'certs', 'tls.crt');
  }

  get tlsKey(): string {
    return join(this.dir, 'certs', 'tls.key');
  }

  get accessLog(): string {
    return join(this.dir, 'logs', 'access.log');
  }

  get errorLog(): string {
    return join(this.dir, 'logs', 'error.log');
  }

  /** Writes the site config and a main config around it; returns the nginx arguments that run them. */
  configure(siteConfig: string): string[] {
    const site = join(this.dir, 'byok.conf');
    writeFileSync(site, siteConfig);
    const conf = join(this.dir, 'nginx.conf');
    writeFileSync(
      conf,
      mainConfig({ prefix: this.dir, siteConfig: site, mimeTypes: '/etc/nginx/mime.types', user: runsAsRoot() ? 'nobody nogroup' : undefined }),
    );
    return ['-p', this.dir, '-c', conf, '-e', this.errorLog];
  }

  /** `nginx -t` on a site config: its exit status and everything it printed. */
  syntaxCheck(siteConfig: string): { status: number | null; output: string } {
    const result = spawnSync('nginx', ['-t', ...this.configure(siteConfig)], { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}
