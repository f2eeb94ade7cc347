import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  childEnv,
  describeRun,
  entryPoints,
  exportTarget,
  fixture,
  type Manifest,
  packAll,
  packages,
  repoRoot,
  run,
} from './support/workspace';

// "Are the types wrong?" on the tarball pnpm would publish (the same check as `attw --pack`, but on
// pnpm's tarball: `attw --pack` runs `npm pack`, which leaves `workspace:^` ranges in the manifest).
// Profile "strict": every entry point must resolve to the right JavaScript and declarations under
// node10, node16 from CommonJS, node16 from ESM, and bundler resolution.

const resolutionKinds = ['node10', 'node16-cjs', 'node16-esm', 'bundler'] as const;

interface AttwProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
  typesFileName?: string;
  implementationFileName?: string;
  fileName?: string;
}

/** One line per problem: the kind, where, and which files (attw's JSON carries long traces besides). */
function describeProblem(problem: AttwProblem): string {
  const where = [problem.entrypoint, problem.resolutionKind].filter(Boolean).join(' ');
  const files = [problem.typesFileName, problem.implementationFileName, problem.fileName].filter(Boolean);
  return `${problem.kind}${where ? ` (${where})` : ''}${files.length ? `: ${files.join(' vs ')}` : ''}`;
}
interface AttwReport {
  analysis?: {
    entrypoints?: Record<string, { resolutions?: Record<string, { resolution?: { fileName?: string } }> }>;
    problems?: AttwProblem[];
  };
}

function attwBin(): string {
  const require = createRequire(join(repoRoot, 'package.json'));
  const manifestPath = require.resolve('@arethetypeswrong/cli/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin['attw'];
  if (!bin) throw new Error('@arethetypeswrong/cli has no attw bin: run `pnpm install`');
  return join(dirname(manifestPath), bin);
}

const packed = fixture(packAll, (made) => made.dispose());

/** Where node10 resolution (no `exports`) must find an entry point's declarations: `types`, or typesVersions. */
function node10Types(manifest: Manifest, subpath: string): string | undefined {
  const file = subpath === '.' ? manifest.types : manifest.typesVersions?.['*']?.[subpath.slice(2)]?.[0];
  return file?.replace(/^\.\//, '');
}

describe('attw', () => {
  for (const pkg of packages) {
    const name = pkg.manifest.name;
    it(`${name}: types resolve cleanly under node10, node16 (CJS and ESM) and bundler, for every entry point`, async () => {
      const tarball = (await packed()).tarballs.get(name);
      if (!tarball) throw new Error(`${name} was not packed`);
      const result = await run(
        process.execPath,
        [attwBin(), tarball, '--format', 'json', '--profile', 'strict', '--no-color'],
        { cwd: repoRoot, env: childEnv() },
      );
      let report: AttwReport;
      try {
        report = JSON.parse(result.stdout) as AttwReport;
      } catch {
        throw new Error(describeRun('attw printed no JSON report', result));
      }
      const problems = (report.analysis?.problems ?? []).map(describeProblem);
      expect(problems, `attw found problems; see \`pnpm exec attw --pack packages/${pkg.dir}\``).toEqual([]);
      // A clean report must also be a complete one: every mode resolved every entry point to declarations.
      const subpaths = entryPoints(pkg.manifest);
      const resolvedBy = (subpath: string) => {
        const resolutions = report.analysis?.entrypoints?.[subpath]?.resolutions ?? {};
        return Object.fromEntries(
          resolutionKinds.map((kind) => [
            kind,
            resolutions[kind]?.resolution?.fileName?.replace(`/node_modules/${name}/`, ''),
          ]),
        );
      };
      expect(Object.fromEntries(subpaths.map((subpath) => [subpath, resolvedBy(subpath)]))).toEqual(
        Object.fromEntries(
          subpaths.map((subpath) => [
            subpath,
            {
              node10: node10Types(pkg.manifest, subpath),
              'node16-cjs': exportTarget(pkg.manifest, ['types', 'require', 'node'], subpath),
              'node16-esm': exportTarget(pkg.manifest, ['types', 'import', 'node'], subpath),
              bundler: exportTarget(pkg.manifest, ['types', 'import'], subpath),
            },
          ]),
        ),
      );
      expect(result.code, describeRun('attw', result)).toBe(0);
    });
  }
});
