#!/usr/bin/env node
// One version of each dependency across the workspace, checked in the gate:
//   1. every package.json of the workspace that names a dependency names it with the same range
//      (dependencies, devDependencies, optionalDependencies and peerDependencies alike; workspace: links aside);
//   2. what a user installs with our published packages (their runtime dependencies and everything those pull
//      in, per the lockfile) holds one version of each name, so users never get two copies of zod, ioredis,
//      apache-arrow, ... from us.
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

// What a user of our published packages installs: the closure of their runtime dependencies in the lockfile
// (importers' "dependencies", then each snapshot's dependencies and optionalDependencies, transitively; workspace
// links followed). Copies that only our dev tools pull in (a CLI parser of a linter, say) never reach users.
const lock = parse(readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8'));
/** name → version → the published packages whose install brings it */
const installed = new Map();
function visit(name, version, from, seen) {
  const key = `${name}@${version}`;
  if (seen.has(key)) return;
  seen.add(key);
  const bare = version.replace(/\(.*$/, '');
  const byVersion = installed.get(name) ?? new Map();
  byVersion.set(bare, new Set([...(byVersion.get(bare) ?? []), from]));
  installed.set(name, byVersion);
  const snapshot = lock.snapshots?.[key] ?? {};
  for (const deps of [snapshot.dependencies, snapshot.optionalDependencies]) {
    for (const [depName, depVersion] of Object.entries(deps ?? {}))
      visit(depName, String(depVersion), from, seen);
  }
}
function visitImporter(importerPath, from, seen) {
  const importer = lock.importers?.[importerPath] ?? {};
  for (const [name, { version }] of Object.entries(importer.dependencies ?? {})) {
    if (String(version).startsWith('link:')) {
      const target = join(importerPath, String(version).slice('link:'.length)).replaceAll('\\', '/');
      if (!seen.has(`link:${target}`)) {
        seen.add(`link:${target}`);
        visitImporter(target, from, seen);
      }
    } else visit(name, String(version), from, seen);
  }
}
for (const { where, manifest } of published) visitImporter(where, manifest.name, new Set());
for (const [name, byVersion] of installed) {
  if (byVersion.size < 2) continue;
  const list = [...byVersion]
    .map(([version, from]) => `${version} (through ${[...from].join(', ')})`)
    .join('; ');
  problems.push(
    `${name} reaches users of our packages in ${byVersion.size} versions (${list}): align the ranges (or the dependency that pulls the other copy) so that one remains.`,
  );
}
if (problems.length > 0) {
  for (const problem of problems) process.stdout.write(`${problem}\n`);
  process.exit(1);
}
process.stdout.write(
  `one version of each dependency: ${ranges.size} names across the workspace; ${installed.size} packages installed with our ${published.length} published ones, one version each\n`,
);
