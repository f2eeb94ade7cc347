// `mlops feast codegen` on the platform's demo Feast repo: the module it writes covers every feature of the
// registry with the type @mlops/feast reads its values as (checked against values read from the real online
// store), it is deterministic, `--check` fails when the file is stale, and — run through TypeScript 7's tsc with
// @mlops/feast's sources — a correct use compiles with typed results while a misspelt feature does not.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FeatureStore } from '@mlops/feast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typescript7 } from '../../../vitest.shared';
import { EXIT } from '../src/cli/program';
import { mlops } from './support/cli';
import { feastRepo, root } from './support/platform';

const dir = mkdtempSync(join(tmpdir(), 'mlops-cli-codegen-'));
const out = join(dir, 'src', 'feast-registry.ts');
let generated = '';

/** `"view:feature": type;` lines of the generated FeatureTypes interface. */
function generatedTypes(text: string): Map<string, string> {
  const body = text.slice(text.indexOf('export interface FeatureTypes {'), text.indexOf('\n}\n'));
  return new Map([...body.matchAll(/^ {2}"([^"]+)": (.+);$/gm)].map((m) => [m[1]!, m[2]!]));
}

const plainObject = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Date);
const isJson = (v: unknown): boolean =>
  v === null ||
  ['string', 'number', 'bigint', 'boolean'].includes(typeof v) ||
  (Array.isArray(v) && v.every(isJson)) ||
  (plainObject(v) && Object.values(v as object).every(isJson));

/** Whether a value read at run time is of the TypeScript type the codegen wrote (the subset it writes). */
function matches(value: unknown, type: string): boolean {
  const array = /^(.+)\[\]$/.exec(type) ?? /^Array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) && value.every((e) => matches(e, array[1]!));
  switch (type) {
    case 'bigint':
    case 'number':
    case 'string':
    case 'boolean':
      return typeof value === type;
    case 'Uint8Array':
      return value instanceof Uint8Array;
    case 'Date':
      return value instanceof Date;
    case 'Date | null':
      return value === null || value instanceof Date;
    case 'JsonValue':
      return isJson(value);
    case '{ [key: string]: FeastValue }':
      return plainObject(value);
    case 'Map<MapKeyValue, FeastValue>':
      return value instanceof Map;
    case 'FeastValue':
      return value !== undefined;
    default:
      throw new Error(`the test does not know the generated type ${type}`);
  }
}

async function tsc(project: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [typescript7, '-p', project], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** A TypeScript project in `dir/<name>` compiling `files` with the workspace's strict options and sources. */
function project(name: string, files: Record<string, string>): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(folder, file), text);
  const tsconfig = {
    extends: join(root, 'tsconfig.base.json'),
    compilerOptions: {
      noEmit: true,
      typeRoots: [join(root, 'node_modules/@types')],
      paths: {
        '@mlops/core': [join(root, 'packages/core/src/index.ts')],
        '@mlops/core/sdk': [join(root, 'packages/core/src/sdk.ts')],
        '@mlops/feast': [join(root, 'packages/feast/src/index.ts')],
        '@mlops/feast/codec': [join(root, 'packages/feast/src/codec/index.ts')],
        '@mlops/feast/registry': [join(root, 'packages/feast/src/registry/index.ts')],
      },
    },
    files: Object.keys(files),
  };
  const path = join(folder, 'tsconfig.json');
  writeFileSync(path, JSON.stringify(tsconfig, null, 2));
  return path;
}

beforeAll(async () => {
  const { code, stdout, stderr } = await mlops(['feast', 'codegen', '-o', out]);
  expect(stderr).toBe('');
  expect(code).toBe(EXIT.ok);
  expect(stdout).toMatch(
    /^wrote .*feast-registry\.ts: 48 features of 6 views, 2 services \(project mlops_demo\)\n$/,
  );
  generated = readFileSync(out, 'utf8');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlops feast codegen', () => {
  it('types every feature of the registry, as @mlops/feast reads it', async () => {
    const store = new FeatureStore({ repoPath: feastRepo });
    try {
      const views = await store.listFeatureViews();
      const types = generatedTypes(generated);
      expect([...types.keys()].sort()).toEqual(
        views.flatMap((v) => v.features.map((f) => `${v.name}:${f.name}`)).sort(),
      );
      // The registry's types, spelt out: the mapping of @mlops/feast's TYPES.md for each one the demo uses.
      expect(types.get('driver_hourly_stats:avg_daily_trips')).toBe('bigint');
      expect(types.get('driver_hourly_stats:conv_rate')).toBe('number');
      expect(types.get('driver_all_types:unix_timestamp_val')).toBe('Date');
      expect(types.get('driver_all_types:unix_timestamp_list_val')).toBe('Array<Date | null>');
      expect(types.get('driver_all_types:bytes_list_val')).toBe('Uint8Array[]');
      expect(types.get('driver_extended_types:int64_set_val')).toBe('bigint[]');
      expect(types.get('driver_extended_types:decimal_val')).toBe('string');
      expect(types.get('driver_extended_types:json_list_val')).toBe('JsonValue[]');
      expect(types.get('driver_extended_types:map_val')).toBe('{ [key: string]: FeastValue }');
      expect(types.get('customer_profile:age')).toBe('number');
      expect(types.get('customer_profile:is_premium')).toBe('boolean');

      // Every value the online store holds (or the feature server computes) for the seeded entities is of its
      // generated type, and every feature has at least one non-null value to check.
      const drivers = Array.from({ length: 10 }, (_, i) => BigInt(1001 + i));
      const customers = Array.from({ length: 10 }, (_, i) => `C${String(i + 1).padStart(3, '0')}`);
      const checked = new Set<string>();
      const check = (view: string, rows: Array<Record<string, unknown>>) => {
        for (const row of rows) {
          for (const [name, value] of Object.entries(row)) {
            const ref = `${view}:${name}`;
            const type = types.get(ref);
            if (type === undefined || value === null) continue;
            if (!matches(value, type)) throw new Error(`${ref} = ${String(value)} is not ${type}`);
            checked.add(ref);
          }
        }
      };
      const now = '2026-01-01T12:00:00Z';
      for (const view of views.filter((v) => v.kind !== 'on_demand_feature_view')) {
        const keys = view.entityColumns.map((c) => c.name);
        const entityRows = keys.includes('customer_id')
          ? keys.includes('driver_id')
            ? drivers.flatMap((d) => customers.map((c) => ({ driver_id: d, customer_id: c })))
            : customers.map((c) => ({ customer_id: c }))
          : drivers.map((d) => ({ driver_id: d }));
        const features: string[] = view.features.map((f) => `${view.name}:${f.name}`);
        const result = await store.getOnlineFeatures({ features, entityRows, now });
        check(view.name, result.toObjects());
      }
      // On-demand views are computed by the feature server, from the request's fields (the demo's
      // transformed_conv_rate takes val_to_add and val_to_add_2, its request source).
      const server = new FeatureStore({ repoPath: feastRepo, online: 'http' });
      try {
        for (const view of views.filter((v) => v.kind === 'on_demand_feature_view')) {
          const result = await server.getOnlineFeatures({
            features: view.features.map((f) => `${view.name}:${f.name}`),
            entities: { driver_id: drivers, val_to_add: drivers, val_to_add_2: drivers.map((d) => -d) },
          });
          check(view.name, result.toObjects());
        }
      } finally {
        await server.close();
      }
      expect([...checked].sort()).toEqual([...types.keys()].sort());
    } finally {
      await store.close();
    }
  }, 60_000);

  it('is deterministic: a second run leaves the file as it was', async () => {
    const again = await mlops(['feast', 'codegen', '-o', out, '--json']);
    expect(again.code).toBe(EXIT.ok);
    expect(JSON.parse(again.stdout)).toEqual({
      file: out,
      project: 'mlops_demo',
      views: 6,
      features: 48,
      services: 2,
      changed: false,
      stale: false,
    });
    expect(readFileSync(out, 'utf8')).toBe(generated);
  });

  it('--check exits 0 when up to date, 1 when the file is stale or missing, and writes nothing', async () => {
    const fresh = await mlops(['feast', 'codegen', '-o', out, '--check']);
    expect(fresh).toEqual({
      code: EXIT.ok,
      stdout: `${out} is up to date with the registry of mlops_demo\n`,
      stderr: '',
    });
    const stale = join(dir, 'stale.ts');
    writeFileSync(stale, generated.replace('"driver_hourly_stats:conv_rate": number;', ''));
    const before = readFileSync(stale, 'utf8');
    const checked = await mlops(['feast', 'codegen', '-o', stale, '--check']);
    expect(checked.code).toBe(EXIT.failed);
    expect(checked.stdout).toBe('');
    expect(checked.stderr).toBe(
      `${stale} is stale: it differs from what the registry of mlops_demo generates; run mlops feast codegen -o ${stale}\n`,
    );
    expect(readFileSync(stale, 'utf8')).toBe(before);
    const missing = await mlops(['feast', 'codegen', '-o', join(dir, 'nowhere.ts'), '--check', '--json']);
    expect(missing.code).toBe(EXIT.failed);
    expect(JSON.parse(missing.stdout)).toMatchObject({ changed: true, stale: true });
  });

  it('refuses an --out that is not a .ts file (usage, exit 2)', async () => {
    const dts = await mlops(['feast', 'codegen', '-o', join(dir, 'x.d.ts')]);
    expect(dts.code).toBe(EXIT.usage);
    expect(dts.stderr).toContain('--out takes a .ts file');
  });

  it('compiles a correct use with typed results; a misspelt feature is a compile error', async () => {
    const good = [
      "import { FeatureStore, type OnlineFeaturesRequest, type OnlineFeaturesResult } from '@mlops/feast';",
      "import { featureRefs, features, featureServices, type FeatureRef } from './feast-registry';",
      'type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;',
      'const expectType = <T extends true>(ok: T) => ok;',
      "const store = new FeatureStore({ repoPath: 'platform/feast' });",
      'const result = await store.getOnlineFeatures({',
      "  features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips', 'driver_all_types:unix_timestamp_list_val'],",
      '  entityRows: [{ driver_id: 1001n }],',
      '});',
      'expectType<Equal<typeof result.columns.conv_rate.values, Array<number | null>>>(true);',
      'expectType<Equal<typeof result.columns.avg_daily_trips.values, Array<bigint | null>>>(true);',
      'expectType<Equal<typeof result.columns.unix_timestamp_list_val.values, Array<Array<Date | null> | null>>>(true);',
      'const [row] = result.toObjects();',
      'const trips: bigint | null | undefined = row?.avg_daily_trips;',
      'const viaHelper = await store.getOnlineFeatures({',
      "  features: featureRefs(features.customer_profile.age, 'customer_profile:is_premium'),",
      "  entityRows: [{ customer_id: 'C001' }],",
      '});',
      'expectType<Equal<typeof viaHelper.columns.is_premium.values, Array<boolean | null>>>(true);',
      'const service = await store.getOnlineFeatures({ features: featureServices.driver_activity, entityRows: [{ driver_id: 1n }] });',
      'expectType<Equal<typeof service.columns.acc_rate.values, Array<number | null>>>(true);',
      '// A list built at run time is still taken, with the open result.',
      "const dynamic: string[] = 'driver_hourly_stats:conv_rate'.split(',');",
      'const open = await store.getOnlineFeatures({ features: dynamic, entityRows: [{ driver_id: 1n }] });',
      'const anyColumn = open.columns.whatever;',
      '// Requests by feature service, or typed as OnlineFeaturesRequest, take the open overload.',
      "const byService = await store.getOnlineFeatures({ featureService: 'driver_activity', entityRows: [{ driver_id: 1n }] });",
      "const request: OnlineFeaturesRequest = { features: ['driver_hourly_stats:conv_rate'], entityRows: [] };",
      'expectType<Equal<typeof byService, OnlineFeaturesResult>>(true);',
      'const viaRequest: OnlineFeaturesResult = await store.getOnlineFeatures(request);',
      'const ref: FeatureRef = "driver_extended_types:uuid_val";',
      'export { trips, anyColumn, ref, viaRequest };',
      '',
    ].join('\n');
    const typos = [
      "import { FeatureStore } from '@mlops/feast';",
      "import { featureRefs, features } from './feast-registry';",
      "const store = new FeatureStore({ repoPath: 'platform/feast' });",
      "await store.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rat'], entityRows: [{ driver_id: 1n }] });",
      "await store.getHistoricalFeatures({ features: ['driver_hourly_stats:acc_rte'], entityDf: [{ driver_id: 1n, event_timestamp: new Date() }] });",
      "featureRefs('customer_profile:agee');",
      'features.driver_hourly_stats.conv_rat;',
      'export {};',
      '',
    ].join('\n');
    const strict = await tsc(
      project('strict', { 'feast-registry.ts': generated, 'good.ts': good, 'typos.ts': typos }),
    );
    const errors = strict.output.split('\n').filter((line) => /error TS\d+/.test(line));
    // Each misspelling is an error on its own line of typos.ts; the correct use has none.
    expect(errors.filter((e) => !e.startsWith('strict/typos.ts'))).toEqual([]);
    expect(errors.map((e) => /^strict\/typos\.ts\((\d+),/.exec(e)?.[1])).toEqual(['4', '5', '6', '7']);
    // tsc names the misspelt reference and the one meant.
    expect(strict.output).toContain(
      `Type '"driver_hourly_stats:conv_rat"' is not assignable to type '"customer_profile:age" |`,
    );
    expect(strict.output).toContain(`Did you mean '"driver_hourly_stats:conv_rate"'?`);
    expect(strict.output).toContain(`Did you mean '"driver_hourly_stats:acc_rate"'?`);
    expect(strict.output).toContain(
      `Argument of type '"customer_profile:agee"' is not assignable to parameter of type 'keyof FeatureTypes'`,
    );
    expect(strict.output).toContain(`Property 'conv_rat' does not exist`);
    expect(strict.code).not.toBe(0);

    // --no-strict: value types and helpers, but a literal the registry lacks is left to the run-time check.
    const loose = await mlops(['feast', 'codegen', '-o', join(dir, 'loose.ts'), '--no-strict']);
    expect(loose.code).toBe(EXIT.ok);
    const looseText = readFileSync(join(dir, 'loose.ts'), 'utf8');
    expect(looseText).not.toContain('strictFeatureRefs');
    const lenient = await tsc(
      project('loose', {
        'feast-registry.ts': looseText,
        'good.ts': good,
        'literal.ts': typos.split('\n').slice(0, 4).concat('export {};', '').join('\n'),
      }),
    );
    expect(lenient.output).toBe('');
    expect(lenient.code).toBe(0);
  }, 120_000);
});

describe('the built mlops bin (pnpm build)', () => {
  it('writes the same module, and --check exits 1 as a process when it is stale', async () => {
    const bin = resolve(import.meta.dirname, '../dist/cli.js');
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run \`pnpm build\` first (the gate builds before testing)`);
    const file = join(dir, 'bin', 'feast-registry.ts');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
        execFile(
          process.execPath,
          [bin, ...args],
          { env: { ...process.env, FEAST_REPO_PATH: feastRepo } },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') fail(error);
            else done({ code: error ? (error.code as number) : 0, stdout, stderr });
          },
        );
      });
    const wrote = await run(['feast', 'codegen', '-o', file]);
    expect(wrote.stderr).toBe('');
    expect(wrote.code).toBe(EXIT.ok);
    expect(readFileSync(file, 'utf8')).toBe(generated);
    writeFileSync(file, `${generated}// edited\n`);
    const stale = await run(['feast', 'codegen', '-o', file, '--check']);
    expect(stale.code).toBe(EXIT.failed);
    expect(stale.stderr).toContain('is stale');
  }, 60_000);
});

describe('the generated module', () => {
  it('starts with its do-not-edit header and augments @mlops/feast', () => {
    expect(generated.split('\n').slice(0, 3)).toEqual([
      '// Generated by `mlops feast codegen` from the Feast registry of project mlops_demo. Do not edit:',
      '// run it again after `feast apply` (`mlops feast codegen --check` fails when this file is stale), and keep',
      '// it out of formatters (--check compares it byte for byte).',
    ]);
    expect(generated).toContain(
      "declare module '@mlops/feast' {\n  interface FeastFeatureTypes extends FeatureTypes {}\n  interface FeastCodegenOptions {\n    strictFeatureRefs: true;\n  }\n}\n",
    );
    expect(resolve(out)).toBe(out);
  });
});
