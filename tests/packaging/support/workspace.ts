import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** The repository root, found from this file (tests/packaging/support/). */
export const repoRoot: string = resolve(import.meta.dirname, '../../..');

export interface Manifest {
  name: string;
  version: string;
  exports?: unknown;
  main?: string;
  module?: string;
  types?: string;
  /** Where node10 resolution (no `exports`) finds the declarations of each subpath. */
  typesVersions?: Record<string, Record<string, string[]>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  /** The directory name under packages/: 'core', 'feast', ... */
  dir: string;
  /** Absolute path of packages/<dir>. */
  path: string;
  manifest: Manifest;
}

function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as Manifest;
}

/** The six published packages, in dependency order (core first, the umbrella last). */
export const packageDirs = ['core', 'feast', 'mlflow', 'airflow', 'metrics', 'platform'] as const;

export const packages: WorkspacePackage[] = packageDirs.map((dir) => {
  const path = join(repoRoot, 'packages', dir);
  return { dir, path, manifest: readManifest(path) };
});

/** Every file path the manifest points at (exports, main, module, types, typesVersions), relative to the package. */
export function entryFiles(manifest: Manifest): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') found.add(value.replace(/^\.\//, ''));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.typesVersions);
  walk([manifest.main, manifest.module, manifest.types].filter((v): v is string => typeof v === 'string'));
  return [...found].filter((file) => file !== 'package.json' && !file.includes('*'));
}

/**
 * Fails, never skips, when a package has not been built: the packaging checks are about dist/,
 * and a missing dist/ must not pass as "nothing to check".
 */
export function assertBuilt(): void {
  const missing: string[] = [];
  for (const pkg of packages) {
    for (const file of entryFiles(pkg.manifest)) {
      if (!existsSync(join(pkg.path, file))) missing.push(`packages/${pkg.dir}/${file}`);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `The packages are not built (missing: ${missing.join(', ')}): run \`pnpm build\` first. ` +
        'The packaging tests check the built artefacts in packages/*/dist.',
    );
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started or was killed by the timeout. */
  error?: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command without a shell; always resolves, so callers can put stderr in their assertion messages. */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, shell: false });
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      error = `timed out after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      error = `could not start ${command}: ${err.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ...(error === undefined ? {} : { error }) });
    });
  });
}

/** A readable account of a finished command, for failure messages. */
export function describeRun(label: string, result: RunResult): string {
  const status = result.error ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`);
  return `${label}: ${status}\n--- stdout ---\n${result.stdout.trim()}\n--- stderr ---\n${result.stderr.trim()}`;
}

/** An environment for child processes without the test runner's Node options leaking into them. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
  delete env['NODE_OPTIONS'];
  delete env['NODE_PATH'];
  return env;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** pnpm: the one on PATH (bootstrap.sh puts it there), else the one bootstrap.sh installs. */
export function pnpmBinary(): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && isExecutable(join(dir, 'pnpm'))) return join(dir, 'pnpm');
  }
  const local = join(repoRoot, '.toolchain/pnpm/node_modules/.bin/pnpm');
  if (isExecutable(local)) return local;
  throw new Error('pnpm is not on PATH nor in .toolchain/: run `bash scripts/bootstrap.sh`.');
}

export interface Packed {
  /** A temporary directory, removed by `dispose`. */
  dir: string;
  /** Package name → absolute path of its tarball, packed by pnpm (workspace: ranges rewritten). */
  tarballs: Map<string, string>;
  dispose(): void;
}

/** The tarball name pnpm gives a package: @mlops/core@0.1.0 → mlops-core-0.1.0.tgz. */
function tarballName(manifest: Manifest): string {
  return `${manifest.name.replace(/^@/, '').replace(/\//g, '-')}-${manifest.version}.tgz`;
}

/**
 * Packs every package with `pnpm pack`, as `pnpm publish` would: only the files that really ship,
 * and `workspace:^` dependencies rewritten to real ranges.
 */
export async function packAll(): Promise<Packed> {
  assertBuilt();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mlops-packaging-')));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const result = await run(
      pnpmBinary(),
      ['-r', '--filter', './packages/*', 'pack', '--pack-destination', dir],
      { cwd: repoRoot, env: childEnv(), timeoutMs: 90_000 },
    );
    if (result.code !== 0) throw new Error(describeRun('pnpm pack', result));
    const tarballs = new Map<string, string>();
    for (const pkg of packages) {
      const tarball = join(dir, tarballName(pkg.manifest));
      if (!existsSync(tarball)) {
        throw new Error(`${describeRun('pnpm pack', result)}\n\npnpm pack made no ${tarball}`);
      }
      tarballs.set(pkg.manifest.name, tarball);
    }
    return { dir, tarballs, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Extracts a tarball's `package/` folder into `dest` (system tar, as npm's layout is plain ustar + gzip). */
export async function extractTarball(tarball: string, dest: string): Promise<void> {
  const result = await run('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1'], {
    cwd: dest,
    env: childEnv(),
  });
  if (result.code !== 0) throw new Error(describeRun(`tar -xzf ${tarball}`, result));
}

/** The files a tarball holds, relative to its `package/` folder. */
export async function listTarball(tarball: string): Promise<string[]> {
  const result = await run('tar', ['-tzf', tarball], { cwd: tmpdir(), env: childEnv() });
  if (result.code !== 0) throw new Error(describeRun(`tar -tzf ${tarball}`, result));
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^package\//, ''))
    .sort();
}

/** The package.json inside a tarball. */
export async function packedManifest(tarball: string): Promise<Manifest> {
  const result = await run('tar', ['-xzOf', tarball, 'package/package.json'], {
    cwd: tmpdir(),
    env: childEnv(),
  });
  if (result.code !== 0) throw new Error(describeRun(`tar -xzOf ${tarball} package/package.json`, result));
  return JSON.parse(result.stdout) as Manifest;
}

/** The entry points of a package: its `exports` subpaths ('.', './codec', ...), package.json left out. */
export function entryPoints(manifest: Manifest): string[] {
  const exportsField = manifest.exports;
  if (
    !exportsField ||
    typeof exportsField !== 'object' ||
    !Object.keys(exportsField).some((k) => k.startsWith('.'))
  ) {
    return ['.'];
  }
  return Object.keys(exportsField).filter((key) => key !== './package.json');
}

/** The specifier a consumer imports an entry point by: '@mlops/feast' for '.', '@mlops/feast/codec' for './codec'. */
export function specifierOf(manifest: Manifest, subpath: string): string {
  return subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
}

/**
 * The names an entry point exports at runtime according to its committed API report (api/*.api.txt, kept
 * up to date by `pnpm api-report`): every line but types and interfaces, sorted as the report sorts them.
 */
export function reportedRuntimeNames(manifest: Manifest, subpath: string): string[] {
  const short = manifest.name.replace(/^@[^/]+\//, '');
  const file = subpath === '.' ? short : `${short}.${subpath.slice(2).replaceAll('/', '.')}`;
  const path = join(repoRoot, 'api', `${file}.api.txt`);
  if (!existsSync(path)) throw new Error(`api/${file}.api.txt is missing: run \`pnpm api-report\``);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('type-only '))
    .filter((line) => {
      const kinds = line.slice(0, line.lastIndexOf(' ')).split(' & ');
      return kinds.some((kind) => kind !== 'interface' && kind !== 'type');
    })
    .map((line) => line.slice(line.lastIndexOf(' ') + 1))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The file an entry point (`exports[subpath]`, the root by default) resolves to for a set of conditions,
 * following the exports map in key order as Node and TypeScript do ('default' always matches). Relative, no './'.
 */
export function exportTarget(manifest: Manifest, conditions: string[], subpath = '.'): string | undefined {
  const exportsField = manifest.exports;
  const root =
    exportsField && typeof exportsField === 'object' && subpath in exportsField
      ? (exportsField as Record<string, unknown>)[subpath]
      : subpath === '.'
        ? exportsField
        : undefined;
  const walk = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value.replace(/^\.\//, '');
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    for (const [condition, target] of Object.entries(value)) {
      if (condition !== 'default' && !conditions.includes(condition)) continue;
      const found = walk(target);
      if (found) return found;
    }
    return undefined;
  };
  return walk(root);
}

/**
 * A fixture made once per test file. It is started in `beforeAll` but never thrown from there: vitest
 * reports the tests of a file whose `beforeAll` failed as skipped, and these checks must fail instead.
 * Each test awaits the fixture, so a setup failure ("run `pnpm build` first") fails every test with
 * its message. `dispose` runs in `afterAll` when setup succeeded.
 */
export function fixture<T>(make: () => Promise<T>, dispose: (value: T) => void): () => Promise<T> {
  let pending: Promise<T> | undefined;
  const get = (): Promise<T> => {
    if (!pending) {
      pending = make();
      pending.catch(() => {});
    }
    return pending;
  };
  beforeAll(() => {
    get();
  });
  afterAll(async () => {
    const value = await get().then(
      (made) => made,
      () => undefined,
    );
    if (value !== undefined) dispose(value);
  });
  return get;
}
