import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { ConfigError } from '@mlops/core';
import type { Command } from 'commander';
import { generateFeastTypes } from './codegen';
import { type CliContext, commandGroup } from './context';
import { EXIT, examples } from './exit-codes';
import { toJson } from './json';

/** `mlops feast codegen`: typed feature references and value types from the registry, into a .ts file. */
export function addCodegenCommand(program: Command, ctx: CliContext): void {
  commandGroup(
    program,
    'feast',
    'Feast: online features, materialization, typed references from the registry',
  )
    .command('codegen')
    .description(
      'Generate typed feature references and value types from the Feast registry (a misspelt feature is a compile error)',
    )
    .requiredOption('-o, --out <file>', 'the .ts file to write (e.g. src/feast-registry.ts)')
    .option('--check', 'write nothing; exit 1 when the file is missing or differs from the registry (for CI)')
    .option(
      '--no-strict',
      'do not make unknown literal references a compile error (only the value types and helpers)',
    )
    .option('--json', 'print {file, project, views, features, services, changed, stale} as JSON')
    .addHelpText(
      'after',
      `${examples(
        'mlops feast codegen -o src/feast-registry.ts',
        'mlops feast codegen -o src/feast-registry.ts --check      # in CI, after feast apply',
        'FEAST_REPO_PATH=feature_repo mlops feast codegen -o src/feast-registry.ts --json',
      )}\n\nThen import it once (import './feast-registry';) and write features as literals:\n  store.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate'], entityRows })\n  // result.columns.conv_rate.values: Array<number | null>; 'driver_hourly_stats:conv_rat' does not compile`,
    )
    .action(async (opts: { out: string; check?: boolean; strict: boolean; json?: boolean }) => {
      if (!/\.(c|m)?ts$/.test(opts.out) || /\.d\.(c|m)?ts$/.test(opts.out)) {
        throw new ConfigError(
          `--out takes a .ts file (it holds values as well as types), e.g. src/feast-registry.ts; got '${opts.out}'`,
          { option: 'out' },
        );
      }
      const file = resolve(ctx.cwd, opts.out);
      const registry = await ctx.withPlatform(async (platform) => {
        const store = platform.feast;
        const [config, featureViews, featureServices] = await Promise.all([
          store.getConfig(),
          store.listFeatureViews(),
          store.listFeatureServices(),
        ]);
        return { project: config.project, featureViews, featureServices };
      });
      const text = generateFeastTypes(registry, { strict: opts.strict });
      const current = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      const changed = current !== text;
      const inside = relative(ctx.cwd, file);
      const shown = inside && !inside.startsWith('..') ? inside : file;
      if (!opts.check && changed) {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, text);
      }
      const summary = {
        file,
        project: registry.project,
        views: registry.featureViews.length,
        features: registry.featureViews.reduce((n, v) => n + v.features.length, 0),
        services: registry.featureServices.length,
        changed,
        stale: Boolean(opts.check && changed),
      };
      if (opts.json) ctx.out(toJson(summary));
      else if (opts.check) {
        if (changed) {
          ctx.err(
            `${shown} is ${current === undefined ? 'missing' : 'stale'}: it differs from what the registry of ${registry.project} generates; run mlops feast codegen -o ${opts.out}`,
          );
        } else ctx.out(`${shown} is up to date with the registry of ${registry.project}`);
      } else {
        ctx.out(
          `${changed ? 'wrote' : 'unchanged'} ${shown}: ${summary.features} features of ${summary.views} views, ${summary.services} services (project ${registry.project})`,
        );
      }
      if (summary.stale) ctx.setExitCode(EXIT.failed);
    });
}
