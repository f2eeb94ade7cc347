import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  entryPoints,
  extractTarball,
  type Manifest,
  type Packed,
  packages,
  repoRoot,
  specifierOf,
  type WorkspacePackage,
} from './workspace';

/** Every entry point of every package, as a consumer imports it: '@mlops/core', '@mlops/core/sdk', ... */
export const specifiers: string[] = packages.flatMap((pkg) =>
  entryPoints(pkg.manifest).map((subpath) => specifierOf(pkg.manifest, subpath)),
);

/**
 * A throwaway project outside the repository whose node_modules holds the packed packages, extracted
 * from their tarballs (so only the files that really ship exist), and their third-party dependencies,
 * symlinked to the copies the workspace installed. Nothing is fetched from a registry.
 */
export interface SmokeProject {
  dir: string;
  dispose(): void;
}

const dependencyFields = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

/** The installed copy of a third-party dependency of a workspace package, as pnpm laid it out. */
function installedDependency(pkg: WorkspacePackage, dependency: string): string {
  for (const candidate of [
    join(pkg.path, 'node_modules', dependency),
    join(repoRoot, 'node_modules', dependency),
  ]) {
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error(
    `${pkg.manifest.name} depends on ${dependency}, which is not installed in packages/${pkg.dir}/node_modules: ` +
      'run `pnpm install`.',
  );
}

export async function createSmokeProject(packed: Packed): Promise<SmokeProject> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mlops-smoke-')));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    for (const pkg of packages) {
      const tarball = packed.tarballs.get(pkg.manifest.name);
      if (!tarball) throw new Error(`no tarball for ${pkg.manifest.name}`);
      const dest = join(dir, 'node_modules', pkg.manifest.name);
      mkdirSync(dest, { recursive: true });
      await extractTarball(tarball, dest);
      // Dependencies come from the packed manifest: what a real install would read.
      const manifest = JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')) as Manifest;
      for (const field of dependencyFields) {
        for (const dependency of Object.keys(manifest[field] ?? {})) {
          // Our own packages sit at the top of node_modules, from their own tarballs.
          if (packed.tarballs.has(dependency)) continue;
          // Nested, as pnpm does, so two packages may depend on different versions of the same thing.
          link(installedDependency(pkg, dependency), join(dest, 'node_modules', dependency));
        }
      }
    }
    // For the type-level checks: a consumer's own @types/node.
    const typesNode = join(repoRoot, 'node_modules/@types/node');
    if (!existsSync(typesNode)) {
      throw new Error('@types/node is not installed at the root: run `pnpm install`.');
    }
    link(realpathSync(typesNode), join(dir, 'node_modules/@types/node'));

    const dependencies = Object.fromEntries(packages.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
    const projectManifest = { name: 'mlops-packaging-smoke', private: true, type: 'module', dependencies };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(projectManifest, null, 2)}\n`);
    writeFileSync(join(dir, 'smoke.mjs'), esmScript());
    writeFileSync(join(dir, 'smoke.cjs'), cjsScript());
    writeFileSync(join(dir, 'offline.mjs'), offlineScript());
    writeTypeConsumers(dir);
    return { dir, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * A point-in-time retrieval (toArrow, then stream) from the platform's offline store with the packed
 * @mlops/feast: pg, pg-copy-streams and Arrow on the runtime's own sockets. MLOPS_FEAST_REPO names the repo.
 */
function offlineScript(): string {
  return `import { FeatureStore } from '@mlops/feast';
const store = new FeatureStore({ repoPath: process.env.MLOPS_FEAST_REPO });
try {
  const job = await store.getHistoricalFeatures({
    entityDf: { driver_id: [1001, 1002, 999999], event_timestamp: [new Date('2026-01-01T05:00:00Z'), new Date('2026-01-01T10:00:00Z'), new Date('2026-01-01T10:00:00Z')] },
    features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
  });
  const table = await job.toArrow();
  let streamed = 0;
  for await (const batch of job.stream({ batchRows: 2 })) streamed += batch.numRows;
  const column = (name) => Array.from({ length: table.numRows }, (_, i) => {
    const v = table.getChild(name).get(i);
    return typeof v === 'bigint' ? String(v) : v;
  });
  console.log('${'MLOPS_SMOKE '}' + JSON.stringify({
    columns: table.schema.fields.map((f) => f.name),
    conv_rate: column('conv_rate'),
    avg_daily_trips: column('avg_daily_trips'),
    streamed,
  }));
} finally {
  await store.close();
}
`;
}

/** The prefix of the one line a smoke script prints: a JSON report the test parses. */
export const reportPrefix = 'MLOPS_SMOKE ';

export interface SmokeReport {
  runtime: 'node' | 'deno' | 'bun';
  version: string;
  moduleSystem: 'esm' | 'cjs';
  packages: Record<string, { name: unknown; version: unknown; file: string }>;
  /** Every entry point (root and subpaths) of every package: the names it exports at runtime, and its file. */
  entries: Record<string, { names: string[]; file: string }>;
  core: {
    exports: Record<string, { esm: string; cjs: string }>;
    identity: Record<string, boolean> | { error: string };
  };
}

export const coreExports = ['createHttpClient', 'MlopsError', 'ApiError', 'NotFoundError'] as const;

/** The plain-JavaScript part both scripts share: what runtime this is, and the checks on @mlops/core. */
const shared = `
function runtimeInfo() {
  if (typeof globalThis.Deno !== 'undefined') return { runtime: 'deno', version: globalThis.Deno.version.deno };
  if (typeof globalThis.Bun !== 'undefined') return { runtime: 'bun', version: globalThis.Bun.version };
  return { runtime: 'node', version: globalThis.process.versions.node };
}

// esm and cjs are the two builds of @mlops/core, loaded side by side in one process.
function inspectCore(esm, cjs) {
  const exports = {};
  for (const name of ${JSON.stringify(coreExports)}) exports[name] = { esm: typeof esm[name], cjs: typeof cjs[name] };
  let identity;
  try {
    const request = { service: 'packaging', method: 'GET', url: 'http://localhost/smoke', body: '' };
    const init = { ...request, status: 418 };
    const notFound = { ...request, status: 404 };
    const apiFromCjs = new cjs.ApiError(init);
    const apiFromEsm = new esm.ApiError(init);
    const plain = new Error('plain');
    identity = {
      twoCopiesLoaded: esm.ApiError !== cjs.ApiError && esm.MlopsError !== cjs.MlopsError,
      cjsApiErrorIsEsmApiError: esm.ApiError.isInstance(apiFromCjs),
      cjsApiErrorIsEsmMlopsError: esm.MlopsError.isInstance(apiFromCjs),
      esmApiErrorIsCjsApiError: cjs.ApiError.isInstance(apiFromEsm),
      esmApiErrorIsCjsMlopsError: cjs.MlopsError.isInstance(apiFromEsm),
      cjsNotFoundErrorIsEsmNotFoundError: esm.NotFoundError.isInstance(new cjs.NotFoundError(notFound)),
      esmNotFoundErrorIsCjsApiError: cjs.ApiError.isInstance(new esm.NotFoundError(notFound)),
      apiErrorIsNotFoundError: esm.NotFoundError.isInstance(apiFromCjs) || cjs.NotFoundError.isInstance(apiFromEsm),
      plainErrorIsMlopsError: esm.MlopsError.isInstance(plain) || cjs.MlopsError.isInstance(plain),
      nullIsMlopsError: esm.MlopsError.isInstance(null) || cjs.MlopsError.isInstance(undefined),
      // Bundlers rename self-referencing classes (_NotFoundError); the names users see must survive the build.
      errorNames: [new esm.NotFoundError(notFound).name, new cjs.ApiError(init).name, new esm.MlopsError('x').name, cjs.NotFoundError.name].join(','),
    };
  } catch (error) {
    identity = { error: String((error && error.stack) || error) };
  }
  return { exports, identity };
}

function report(moduleSystem, packages, entries, core) {
  console.log(${JSON.stringify(reportPrefix)} + JSON.stringify({ ...runtimeInfo(), moduleSystem, packages, entries, core }));
}
`;

function esmScript(): string {
  const imports = packages.map((pkg, i) => `import * as pkg${i} from '${pkg.manifest.name}';`).join('\n');
  const table = packages.map((pkg, i) => `  '${pkg.manifest.name}': pkg${i},`).join('\n');
  const entryImports = specifiers
    .map((specifier, i) => `import * as entry${i} from '${specifier}';`)
    .join('\n');
  const entryTable = specifiers.map((specifier, i) => `  '${specifier}': entry${i},`).join('\n');
  return `// Written by tests/packaging: imports every @mlops package and entry point (ESM) and prints one JSON report line.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
${imports}
${entryImports}

const require = createRequire(import.meta.url);
const loaded = {
${table}
};
const packages = {};
for (const [name, mod] of Object.entries(loaded)) {
  packages[name] = {
    name: mod.PACKAGE_NAME,
    version: mod.PACKAGE_VERSION,
    file: fileURLToPath(import.meta.resolve(name)),
  };
}
const entryModules = {
${entryTable}
};
const entries = {};
for (const [specifier, mod] of Object.entries(entryModules)) {
  entries[specifier] = { names: Object.keys(mod).sort(), file: fileURLToPath(import.meta.resolve(specifier)) };
}
report('esm', packages, entries, inspectCore(loaded['@mlops/core'], require('@mlops/core')));
${shared}`;
}

function cjsScript(): string {
  const table = packages
    .map((pkg) => `  '${pkg.manifest.name}': require('${pkg.manifest.name}'),`)
    .join('\n');
  return `// Written by tests/packaging: requires every @mlops package and entry point (CJS) and prints one JSON report line.
'use strict';
const loaded = {
${table}
};
const packages = {};
for (const [name, mod] of Object.entries(loaded)) {
  packages[name] = { name: mod.PACKAGE_NAME, version: mod.PACKAGE_VERSION, file: require.resolve(name) };
}
const entries = {};
for (const specifier of ${JSON.stringify(specifiers)}) {
  entries[specifier] = { names: Object.keys(require(specifier)).sort(), file: require.resolve(specifier) };
}
import('@mlops/core').then(
  (esm) => report('cjs', packages, entries, inspectCore(esm, loaded['@mlops/core'])),
  (error) => {
    console.error(error);
    require('node:process').exitCode = 1;
  },
);
${shared}`;
}

/**
 * TypeScript consumers of the shipped declarations: an ES module and a CommonJS module under
 * nodenext, and a bundler-resolution module, each importing every entry point of every package with skipLibCheck off.
 */
function writeTypeConsumers(dir: string): void {
  const body = (kind: string) => {
    const lines = [`// Written by tests/packaging: a ${kind} consumer of the shipped declarations.`];
    packages.forEach((pkg, i) => {
      lines.push(
        `import { PACKAGE_NAME as name${i}, PACKAGE_VERSION as version${i} } from '${pkg.manifest.name}';`,
      );
    });
    specifiers.forEach((specifier, i) => {
      lines.push(`import * as entry${i} from '${specifier}';`);
    });
    lines.push(
      `export const entries: object[] = [${specifiers.map((_, i) => `entry${i}`).join(', ')}];`,
      "import { ApiError, createHttpClient, MlopsError, NotFoundError } from '@mlops/core';",
      `export const names: string[] = [${packages.map((_, i) => `name${i}`).join(', ')}];`,
      `export const versions: string[] = [${packages.map((_, i) => `version${i}`).join(', ')}];`,
      'export const factory: (...args: never[]) => unknown = createHttpClient;',
      'export const isApiError: (value: unknown) => boolean = (value) => ApiError.isInstance(value);',
      'type Extends<A, B> = A extends B ? true : false;',
      'export const hierarchy: [Extends<ApiError, MlopsError>, Extends<NotFoundError, ApiError>, Extends<MlopsError, Error>] = [true, true, true];',
    );
    return `${lines.join('\n')}\n`;
  };
  writeFileSync(join(dir, 'consumer-esm.mts'), body('nodenext ES module'));
  writeFileSync(join(dir, 'consumer-cjs.cts'), body('nodenext CommonJS'));
  writeFileSync(join(dir, 'consumer-bundler.ts'), body('bundler-resolution'));
  const compilerOptions = {
    target: 'es2022',
    lib: ['es2023', 'dom', 'dom.iterable'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  };
  const tsconfig = (options: object, files: string[]) =>
    `${JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files }, null, 2)}\n`;
  writeFileSync(
    join(dir, 'tsconfig.nodenext.json'),
    tsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }, ['consumer-esm.mts', 'consumer-cjs.cts']),
  );
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    tsconfig({ module: 'esnext', moduleResolution: 'bundler' }, ['consumer-bundler.ts']),
  );
}
