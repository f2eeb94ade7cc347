#!/usr/bin/env node
// One version of each dependency across the workspace, checked in the gate:
//   1. every package.json of the workspace that names a dependency names it with the same range
//      (dependencies, devDependencies, optionalDependencies and peerDependencies alike; workspace: links aside);
//   2. the lockfile resolves each runtime dependency of a published package (its "dependencies") to exactly
//      one version, so users never install two copies of zod, ioredis, apache-arrow, ... from us.
// Exit 1 with one line per problem, naming the packages and what to do.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** The workspace's package folders, from pnpm-workspace.yaml (plain `dir/*` and `dir` patterns). */
function workspaceDirs() {
  const { packages = [] } = parse(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8'));
  const dirs = [root];
  for (const pattern of packages) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(join(parent, entry.name));
      }
    } else dirs.push(join(root, pattern));
  }
  return dirs;
}

const problems = [];
/** name → range → where it is declared */
const ranges = new Map();
const published = [];
for (const dir of workspaceDirs()) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  const where = relative(root, dir) || 'the root';
  if (!manifest.private) published.push({ where, manifest });
  for (const field of FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) continue;
      // A peer range of a published package may be wider than the version we develop against.
      if (field === 'peerDependencies') continue;
      const byRange = ranges.get(name) ?? new Map();
      byRange.set(range, [...(byRange.get(range) ?? []), `${where} (${field})`]);
      ranges.set(name, byRange);
    }
  }
}
for (const [name, byRange] of ranges) {
  if (byRange.size < 2) continue;
  const list = [...byRange].map(([range, places]) => `${range} in ${places.join(', ')}`).join('; ');
  problems.push(`${name} is declared with ${byRange.size} ranges: ${list}. Use one range everywhere.`);
}

// What the lockfile resolves: package keys look like `name@version` or `name@version(peer@x)`.
const lock = parse(readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8'));
/** name → set of versions */
const resolved = new Map();
for (const key of Object.keys(lock.packages ?? {})) {
  const at = key.lastIndexOf('@');
  if (at <= 0) continue;
  const name = key.slice(0, at);
  const version = key.slice(at + 1).replace(/\(.*$/, '');
  resolved.set(name, new Set([...(resolved.get(name) ?? []), version]));
}
for (const { where, manifest } of published) {
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const versions = resolved.get(name);
    if (!versions || versions.size < 2) continue;
    problems.push(
      `${name}, a runtime dependency of ${manifest.name} (${where}), resolves to ${versions.size} versions in pnpm-lock.yaml (${[...versions].join(', ')}): align the ranges (or the dependency that pulls the other copy) so that one remains.`,
    );
  }
}

if (problems.length > 0) {
  for (const problem of problems) process.stdout.write(`${problem}\n`);
  process.exit(1);
}
process.stdout.write(
  `one version of each dependency: ${ranges.size} names across the workspace; runtime dependencies of ${published.length} packages resolve once each\n`,
);
