import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Runtime, runtimeBinary, runtimes } from './support/runtimes';
import { coreExports, createSmokeProject, reportPrefix, type SmokeReport } from './support/smoke-project';
import {
  childEnv,
  describeRun,
  entryPoints,
  exportTarget,
  fixture,
  packAll,
  packages,
  repoRoot,
  reportedRuntimeNames,
  run,
  specifierOf,
} from './support/workspace';

// Smoke tests on the packed artefacts: every package is extracted from its tarball into a throwaway
// project, then each runtime imports (ESM) and requires (CJS) every package there and prints a JSON
// report line that the tests check. No registry is reachable from these processes on purpose.

type ModuleSystem = 'esm' | 'cjs';

// The tarballs are only needed to build the project, so they go as soon as it exists.
const project = fixture(
  async () => {
    const packed = await packAll();
    try {
      return await createSmokeProject(packed);
    } finally {
      packed.dispose();
    }
  },
  (made) => made.dispose(),
);

/** The command line that runs a script with a runtime, offline. */
function commandFor(
  runtime: Runtime,
  script: string,
  dir: string,
): { args: string[]; env: NodeJS.ProcessEnv } {
  // An unreachable registry: a runtime that tried to install or fetch a package would fail loudly.
  const offline = { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/', BUN_CONFIG_REGISTRY: 'http://127.0.0.1:9/' };
  switch (runtime.id) {
    case 'deno':
      // manual: use the project's package.json and node_modules as they are, never the npm registry.
      // --cached-only with an empty DENO_DIR: anything remote would be an error, not a download.
      return {
        args: ['run', '-A', '--node-modules-dir=manual', '--no-lock', '--no-config', '--cached-only', script],
        env: childEnv({ ...offline, DENO_DIR: join(dir, '.deno-cache'), DENO_NO_UPDATE_CHECK: '1' }),
      };
    case 'bun':
      // --no-install: never auto-install a missing package from the registry.
      return { args: ['--no-install', 'run', script], env: childEnv(offline) };
    default:
      return { args: [script], env: childEnv(offline) };
  }
}

const reports = new Map<string, Promise<SmokeReport>>();

/** Runs the ESM or CJS smoke script once per runtime and parses its report line (memoised per file). */
function smoke(runtime: Runtime, moduleSystem: ModuleSystem): Promise<SmokeReport> {
  const key = `${runtime.id}:${moduleSystem}`;
  let pending = reports.get(key);
  if (!pending) {
    pending = (async () => {
      const bin = runtimeBinary(runtime);
      const { dir } = await project();
      const script = moduleSystem === 'esm' ? 'smoke.mjs' : 'smoke.cjs';
      const { args, env } = commandFor(runtime, script, dir);
      const result = await run(bin, args, { cwd: dir, env, timeoutMs: 60_000 });
      const label = `${runtime.label} ${[bin, ...args].join(' ')}`;
      const line = result.stdout.split('\n').findLast((l) => l.startsWith(reportPrefix));
      if (result.code !== 0 || !line) {
        throw new Error(
          describeRun(`${label} (expected exit 0 and a "${reportPrefix.trim()}" line)`, result),
        );
      }
      const report = JSON.parse(line.slice(reportPrefix.length)) as SmokeReport;
      const expectedRuntime = runtime.id.startsWith('node') ? 'node' : runtime.id;
      if (report.runtime !== expectedRuntime || Number(report.version.split('.')[0]) !== runtime.major) {
        throw new Error(
          `${runtime.envVar} should be ${runtime.label} but ${bin} is ${report.runtime} ${report.version}: ` +
            'run `bash scripts/bootstrap.sh`.',
        );
      }
      return report;
    })();
    // Avoid an unhandled rejection before a test awaits it; the test still sees the failure.
    pending.catch(() => {});
    reports.set(key, pending);
  }
  return pending;
}

/** What every package must report: its own name and version, loaded from the right file of its tarball. */
function expectedPackages(moduleSystem: ModuleSystem, dir: string) {
  const conditions = moduleSystem === 'esm' ? ['import', 'node'] : ['require', 'node'];
  return Object.fromEntries(
    packages.map((pkg) => [
      pkg.manifest.name,
      {
        name: pkg.manifest.name,
        version: pkg.manifest.version,
        file: join(
          dir,
          'node_modules',
          pkg.manifest.name,
          exportTarget(pkg.manifest, conditions) ?? '(no target)',
        ),
      },
    ]),
  );
}

/** What every entry point (root and subpaths) must give: the runtime names its API report lists, from the right file. */
function expectedEntries(moduleSystem: ModuleSystem, dir: string) {
  const conditions = moduleSystem === 'esm' ? ['import', 'node'] : ['require', 'node'];
  return Object.fromEntries(
    packages.flatMap((pkg) =>
      entryPoints(pkg.manifest).map((subpath) => [
        specifierOf(pkg.manifest, subpath),
        {
          names: reportedRuntimeNames(pkg.manifest, subpath),
          file: join(
            dir,
            'node_modules',
            pkg.manifest.name,
            exportTarget(pkg.manifest, conditions, subpath) ?? '(no target)',
          ),
        },
      ]),
    ),
  );
}

interface MatrixRow {
  runtime: Runtime;
  moduleSystems: ModuleSystem[];
  /** The scripts that can load both builds of @mlops/core side by side, for the dual-package identity check. */
  dualLoading: ModuleSystem[];
}

const matrix: MatrixRow[] = [
  { runtime: runtimes.node24, moduleSystems: ['esm', 'cjs'], dualLoading: ['esm', 'cjs'] },
  { runtime: runtimes.node22, moduleSystems: ['esm', 'cjs'], dualLoading: ['esm', 'cjs'] },
  // Deno resolves `import()` inside a CommonJS module with the "require" condition, so from the CJS
  // script it gets the CJS build twice; its ESM script reaches the CJS build through createRequire.
  { runtime: runtimes.deno, moduleSystems: ['esm', 'cjs'], dualLoading: ['esm'] },
  { runtime: runtimes.bun, moduleSystems: ['esm', 'cjs'], dualLoading: ['esm', 'cjs'] },
];

const verbs: Record<ModuleSystem, string> = { esm: 'imports (ESM)', cjs: 'requires (CJS)' };

for (const { runtime, moduleSystems, dualLoading } of matrix) {
  describe(runtime.label, () => {
    for (const moduleSystem of moduleSystems) {
      const verb = verbs[moduleSystem];
      it(`${runtime.label} ${verb} every package from its tarball, each with its own name and version`, async () => {
        const report = await smoke(runtime, moduleSystem);
        expect(report.moduleSystem).toBe(moduleSystem);
        expect(
          report.packages,
          'PACKAGE_NAME/PACKAGE_VERSION are injected at build time: after a package.json change, run `pnpm build`',
        ).toEqual(expectedPackages(moduleSystem, (await project()).dir));
      });

      it(`${runtime.label} ${verb} every entry point of every package (root and subpaths), each with the names its API report lists`, async () => {
        const report = await smoke(runtime, moduleSystem);
        expect(
          report.entries,
          'the runtime names of each entry point must match api/*.api.txt: run `pnpm build` and `pnpm api-report`',
        ).toEqual(expectedEntries(moduleSystem, (await project()).dir));
      });

      it(`${runtime.label} ${verb} @mlops/core with createHttpClient and the error classes`, async () => {
        const report = await smoke(runtime, moduleSystem);
        const both = (type: string) => ({ esm: type, cjs: type });
        expect(report.core.exports).toEqual(
          Object.fromEntries(coreExports.map((name) => [name, both('function')])),
        );
      });

      if (!dualLoading.includes(moduleSystem)) continue;
      it(`${runtime.label} ${verb}: an ApiError from the CJS build passes the ESM build's isInstance checks and vice versa`, async () => {
        const report = await smoke(runtime, moduleSystem);
        expect(report.core.identity).toEqual({
          twoCopiesLoaded: true,
          cjsApiErrorIsEsmApiError: true,
          cjsApiErrorIsEsmMlopsError: true,
          esmApiErrorIsCjsApiError: true,
          esmApiErrorIsCjsMlopsError: true,
          cjsNotFoundErrorIsEsmNotFoundError: true,
          esmNotFoundErrorIsCjsApiError: true,
          apiErrorIsNotFoundError: false,
          plainErrorIsMlopsError: false,
          nullIsMlopsError: false,
          errorNames: 'NotFoundError,ApiError,MlopsError,NotFoundError',
        });
      });
    }
  });
}

describe("the packed @mlops/platform's `mlops` bin, in every runtime", () => {
  const platformManifest = packages.find((pkg) => pkg.manifest.name === '@mlops/platform')?.manifest as
    | { version: string; bin?: Record<string, string> }
    | undefined;
  for (const runtime of [runtimes.node24, runtimes.node22, runtimes.deno, runtimes.bun]) {
    it(`${runtime.label}: mlops --version and mlops --help run from the tarball`, async () => {
      const binPath = platformManifest?.bin?.mlops;
      expect(binPath, '@mlops/platform declares the mlops bin').toBe('./dist/cli.js');
      const { dir } = await project();
      const script = join(dir, 'node_modules/@mlops/platform', binPath ?? '');
      const { args, env } = commandFor(runtime, script, dir);
      const version = await run(runtimeBinary(runtime), [...args, '--version'], {
        cwd: dir,
        env,
        timeoutMs: 60_000,
      });
      expect(version.stdout.trim(), version.stderr).toBe(platformManifest?.version);
      const help = await run(runtimeBinary(runtime), [...args, '--help'], {
        cwd: dir,
        env,
        timeoutMs: 60_000,
      });
      expect(help.stdout).toContain('Exit codes:\n  0  success');
    });
  }
});

describe('offline retrieval from the packed @mlops/feast, in every runtime', () => {
  // The platform's offline store (the test command starts it). One answer, worked out by Node 24 first.
  const feastRepo = join(repoRoot, 'platform/feast');
  const answers = new Map<string, Promise<Record<string, unknown>>>();
  function offline(runtime: Runtime): Promise<Record<string, unknown>> {
    let answer = answers.get(runtime.id);
    if (!answer) {
      answer = runOffline(runtime);
      answers.set(runtime.id, answer);
    }
    return answer;
  }
  async function runOffline(runtime: Runtime): Promise<Record<string, unknown>> {
    const { dir } = await project();
    const { args, env } = commandFor(runtime, 'offline.mjs', dir);
    const result = await run(runtimeBinary(runtime), args, {
      cwd: dir,
      env: { ...env, MLOPS_FEAST_REPO: feastRepo },
      timeoutMs: 60_000,
    });
    const line = result.stdout.split('\n').findLast((l) => l.startsWith(reportPrefix));
    if (result.code !== 0 || !line) throw new Error(describeRun(`${runtime.label} offline.mjs`, result));
    return JSON.parse(line.slice(reportPrefix.length)) as Record<string, unknown>;
  }

  for (const runtime of [runtimes.node24, runtimes.node22, runtimes.deno, runtimes.bun]) {
    it(`${runtime.label}: getHistoricalFeatures toArrow and stream, over pg and COPY`, async () => {
      const report = await offline(runtime);
      expect(report.columns).toEqual(['driver_id', 'event_timestamp', 'conv_rate', 'avg_daily_trips']);
      expect(report.streamed).toBe(3);
      const conv = report.conv_rate as Array<number | null>;
      expect(typeof conv[0]).toBe('number');
      expect(conv[2]).toBeNull();
      if (runtime !== runtimes.node24) expect(report).toEqual(await offline(runtimes.node24));
    });
  }
});

describe('TypeScript consumers', () => {
  // Users compile against our declarations with whatever TypeScript they have: the current major (7, the
  // native compiler) and the last JS one (5.9, still the most installed), both with skipLibCheck off.
  const compilers = [
    ['TypeScript 7', join(repoRoot, 'node_modules/typescript-7/bin/tsc')],
    ['TypeScript 5.9', join(repoRoot, 'node_modules/typescript/bin/tsc')],
  ] as const;
  for (const [compiler, tsc] of compilers) {
    for (const [config, what] of [
      ['tsconfig.nodenext.json', 'nodenext (an .mts and a .cts consumer)'],
      ['tsconfig.bundler.json', 'bundler resolution'],
    ] as const) {
      it(`${compiler}: every entry point's shipped declarations (root and subpaths), with @mlops/core's createHttpClient and error classes, compile under ${what} with skipLibCheck off`, async () => {
        const { dir } = await project();
        const version = await run(process.execPath, [tsc, '--version'], { cwd: dir, env: childEnv() });
        expect(version.stdout).toMatch(compiler === 'TypeScript 7' ? /Version 7\./ : /Version 5\.9\./);
        const result = await run(process.execPath, [tsc, '-p', config], { cwd: dir, env: childEnv() });
        expect(result.code, describeRun(`${compiler} tsc -p ${config}`, result)).toBe(0);
      });
    }
  }
});
