#!/usr/bin/env node
// Second half of `nx build api`: bundles tsc's output into dist/apps/api/main.js and
// dist/apps/api/admin-cli.js, each with its source map.
//
// tsc runs first (apps/api/project.json) because Nest's dependency injection reads the
// constructor types that `emitDecoratorMetadata` records, and esbuild's own TypeScript transform
// drops them; tsc's JavaScript already carries them as `__metadata(...)` calls. Bundling that
// JavaScript flattens the tree tsc mirrors (the API compiles libs/contracts from source, so its
// rootDir is the workspace) into one file per entry point.
//
// Only the workspace's own code goes into the bundles: every package stays a `require()` of
// node_modules, so ESM-only openid-client still goes through Node's require(esm), pino resolves its
// transport workers (pino-pretty) from its own directory, and docker/runtime-package.js can still
// list what the image must install.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

/** tsc's output, `outDir` of apps/api/tsconfig.app.json; it mirrors the workspace below it. */
const TSC_OUT = 'dist/out-tsc/api';
const OUT_DIR = 'dist/apps/api';

rmSync(OUT_DIR, { recursive: true, force: true });
await build({
  entryPoints: {
    main: `${TSC_OUT}/apps/api/src/main.js`,
    'admin-cli': `${TSC_OUT}/apps/api/src/admin/admin-cli.js`,
  },
  outdir: OUT_DIR,
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Chained through tsc's maps, so a stack trace (node --enable-source-maps) names the .ts line.
  sourcemap: 'linked',
  sourcesContent: false,
  // The input is plain JavaScript; no tsconfig of the workspace applies to it.
  tsconfigRaw: {},
  logLevel: 'warning',
});
