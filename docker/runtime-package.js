#!/usr/bin/env node
// Writes the package.json of the API's runtime image: the workspace's dependencies narrowed to the
// packages the compiled API requires, so `npm prune --omit=dev` leaves out the web app's
// (Angular, Material, fonts). Usage: node docker/runtime-package.js <dist dir> <package.json> <out>
'use strict';
const { builtinModules } = require('node:module');
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Loaded by a dependency at runtime rather than required by the API's own code: NestFactory
 * requires the HTTP adapter by name, and the API imports it for types only.
 */
const LOADED_BY_NAME = ['@nestjs/platform-express'];

const REQUIRE = /\brequire\(\s*["']([^"']+)["']\s*\)/g;

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function* jsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (entry.name.endsWith('.js')) yield path;
  }
}

/** Bare package names the compiled code requires (no relative paths, no Node built-ins). */
function requiredPackages(distDir) {
  const builtins = new Set(builtinModules);
  const names = new Set();
  for (const file of jsFiles(distDir)) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(REQUIRE)) {
      if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue;
      const name = packageName(specifier);
      if (!builtins.has(name)) names.add(name);
    }
  }
  return names;
}

/** The runtime package.json, or an error naming a required package that is not a dependency. */
function runtimePackage(distDir, workspacePackage) {
  const dependencies = workspacePackage.dependencies ?? {};
  const needed = new Set([...requiredPackages(distDir), ...LOADED_BY_NAME]);
  const missing = [...needed].filter((name) => !(name in dependencies)).sort();
  if (missing.length > 0) {
    throw new Error(`the API requires packages that are not in "dependencies": ${missing.join(', ')}`);
  }
  const kept = Object.fromEntries(Object.entries(dependencies).filter(([name]) => needed.has(name)));
  return {
    name: workspacePackage.name,
    version: workspacePackage.version,
    private: true,
    license: workspacePackage.license,
    engines: workspacePackage.engines,
    dependencies: kept,
  };
}

module.exports = { LOADED_BY_NAME, requiredPackages, runtimePackage };

if (require.main === module) {
  const [distDir, packagePath, outPath] = process.argv.slice(2);
  if (!distDir || !packagePath || !outPath) {
    console.error('usage: node docker/runtime-package.js <dist dir> <package.json> <out>');
    process.exit(2);
  }
  const result = runtimePackage(distDir, JSON.parse(readFileSync(packagePath, 'utf8')));
  writeFileSync(outPath, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`runtime dependencies: ${Object.keys(result.dependencies).join(', ')}`);
}
