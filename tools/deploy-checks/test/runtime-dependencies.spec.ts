import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { API_MAIN, freePort, waitFor } from '@byok/cluster';
import { readText, ROOT } from './support/workspace';

interface RuntimePackageModule {
  LOADED_BY_NAME: string[];
  runtimePackage(distDir: string, workspacePackage: unknown): { dependencies: Record<string, string> };
}

// Plain CommonJS run by the Dockerfile with no TypeScript around; loaded by path for the same reason.
const { runtimePackage, LOADED_BY_NAME } = require(join(ROOT, 'docker', 'runtime-package.js')) as RuntimePackageModule;

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const lock = (JSON.parse(readText('package-lock.json')) as { packages: Record<string, LockEntry> }).packages;

/** Where Node (and npm's tree) finds `name` when required from the package at `from`. */
function resolveInLock(from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!base) return null;
    const up = base.lastIndexOf('/node_modules/');
    base = up < 0 ? '' : base.slice(0, up);
  }
}

/**
 * Top-level node_modules entries that `npm prune --omit=dev` keeps for these dependencies:
 * their dependencies, optional ones present, and required peers, transitively.
 */
function closure(roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = roots.map((name) => resolveInLock('', name) ?? `missing:${name}`);
  while (queue.length > 0) {
    const path = queue.pop() as string;
    if (path.startsWith('missing:')) throw new Error(`${path.slice(8)} is not in package-lock.json`);
    if (seen.has(path)) continue;
    seen.add(path);
    const entry = lock[path];
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const wanted = [
      ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
      ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
      ...Object.keys(entry.peerDependencies ?? {})
        .filter((name) => !optionalPeers[name]?.optional)
        .map((name) => ({ name, optional: false })),
    ];
    for (const { name, optional } of wanted) {
      const resolved = resolveInLock(path, name);
      if (resolved) queue.push(resolved);
      else if (!optional) throw new Error(`${path} needs ${name}, which package-lock.json does not hold`);
    }
  }
  return new Set([...seen].map((path) => path.split('/node_modules/')[0]));
}

/** A copy of the API build next to a node_modules holding only `packages` (symlinked, read-only use). */
function isolatedInstall(dir: string, packages: Iterable<string>): string {
  for (const path of packages) {
    const link = join(dir, path);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, path), link, 'dir');
  }
  cpSync(join(ROOT, 'dist', 'apps', 'api'), join(dir, 'dist', 'apps', 'api'), { recursive: true });
  return join(dir, API_MAIN);
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).once('error', reject);
  });
}

/** Boots the API from `main` resolving modules only below its own folder; resolves with its output if it dies. */
async function boot(main: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  // --preserve-symlinks: a linked package resolves its dependencies from the isolated
  // node_modules, not from the workspace's real one it points into.
  const child = spawn(process.execPath, ['--preserve-symlinks', '--preserve-symlinks-main', main], {
    cwd: dirname(main),
    env: {
      PATH: process.env['PATH'],
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      ALLOWED_HOSTS: '127.0.0.1',
      // Off by default in production; on here, so the image is shown to carry what the docs UI needs.
      API_DOCS: 'true',
      PORT: String(port),
      SESSION_SECRET: 's'.repeat(40),
      KEYSTORE_SECRETS: 'k'.repeat(40),
      WEB_ROOT: join(dirname(main), 'no-web-root'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe('the API image dependencies (docker/runtime-package.js)', () => {
  const workspacePackage = JSON.parse(readText('package.json')) as { dependencies: Record<string, string> };
  const kept = Object.keys(runtimePackage(join(ROOT, 'dist', 'apps', 'api'), workspacePackage).dependencies);
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    children.forEach((child) => child.kill('SIGKILL'));
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('keep what the compiled API requires and drop the web app packages', () => {
    expect(kept).toEqual(expect.arrayContaining(['@nestjs/core', 'ioredis', 'connect-redis', 'express-session', 'openai']));
    for (const webOnly of ['@angular/core', '@angular/material', 'material-symbols', '@fontsource/roboto', 'socket.io-client']) {
      expect(kept).not.toContain(webOnly);
    }
  });

  it('are enough to boot the API and answer requests, with nothing else installed', async () => {
    const packages = closure(kept);
    expect(packages.has('node_modules/@angular/core')).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'byok-runtime-deps-'));
    dirs.push(dir);
    const port = await freePort();
    const { child, output } = await boot(isolatedInstall(dir, packages), port);
    children.push(child);
    const exited = { value: false };
    child.once('exit', () => (exited.value = true));
    await waitFor('the API on its runtime dependencies', async () => {
      if (exited.value) throw new Error(`the API exited:\n${output()}`);
      return (await status(`http://127.0.0.1:${port}/api/health`)) === 200;
    }, { timeoutMs: 20_000 });
    expect(await status(`http://127.0.0.1:${port}/api/providers/keys`)).toBe(200);
    expect(await status(`http://127.0.0.1:${port}/api/docs`)).toBe(200);
  });

  it('would miss the HTTP adapter Nest loads by name without LOADED_BY_NAME (the isolation is real)', async () => {
    expect(LOADED_BY_NAME).toContain('@nestjs/platform-express');
    const packages = closure(kept.filter((name) => name !== '@nestjs/platform-express'));
    expect(packages.has('node_modules/@nestjs/platform-express')).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'byok-runtime-deps-'));
    dirs.push(dir);
    const { child, output } = await boot(isolatedInstall(dir, packages), await freePort());
    children.push(child);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output()).toContain('@nestjs/platform-express');
  });
});
