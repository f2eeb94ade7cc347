import { ConfigError } from '@mlops/core';
import type { EntityValue, FeatureStore } from '@mlops/feast';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type CliContext, commandGroup } from './context';
import { examples } from './exit-codes';
import { toJson } from './json';
import { table } from './table';

/** `driver_id=1001,1002` → ['driver_id', ['1001', '1002']]. */
function parseEntityArg(arg: string): [string, string[]] {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) {
    throw new ConfigError(
      `--entity takes key=value[,value...], e.g. --entity driver_id=1001,1002; got '${arg}'`,
      {
        option: 'entity',
      },
    );
  }
  return [arg.slice(0, eq), arg.slice(eq + 1).split(',')];
}

/** A join key's text from the command line as the value its registry type takes (int64 exact, as bigint). */
async function typedEntities(
  store: FeatureStore,
  raw: Array<[string, string[]]>,
): Promise<Record<string, EntityValue[]>> {
  const entities = await store.listEntities();
  const typeOf = new Map(entities.map((e) => [e.joinKey, e.valueTypeName]));
  const out: Record<string, EntityValue[]> = {};
  for (const [key, texts] of raw) {
    const type = typeOf.get(key);
    out[key] = texts.map((text) => {
      if (type === 'INT64' || type === 'INT32') {
        if (!/^-?\d+$/.test(text)) {
          throw new ConfigError(`--entity ${key} is ${type} in the registry; '${text}' is not an integer`, {
            option: 'entity',
          });
        }
        return type === 'INT64' ? BigInt(text) : Number(text);
      }
      return text;
    });
  }
  return out;
}

export function addFeastCommands(program: Command, ctx: CliContext): void {
  const feast = commandGroup(
    program,
    'feast',
    'Feast: online features, materialization, typed references from the registry',
  );

  feast
    .command('get')
    .description('Latest feature values for entities, from the online store')
    .option('-f, --features <refs>', 'comma-separated view:feature references')
    .option('-s, --feature-service <name>', 'a feature service instead of --features')
    .requiredOption(
      '-e, --entity <key=values...>',
      'join key and values, e.g. driver_id=1001,1002 (repeatable)',
    )
    .option('--full-feature-names', 'name columns view__feature')
    .option('--json', 'print JSON (int64 values exact)')
    .addHelpText(
      'after',
      examples(
        'mlops feast get -f driver_hourly_stats:conv_rate -e driver_id=1001,1002',
        'mlops feast get -s driver_activity -e driver_id=1001 --json',
      ),
    )
    .action(
      async (opts: {
        features?: string;
        featureService?: string;
        entity: string[];
        fullFeatureNames?: boolean;
        json?: boolean;
      }) => {
        if (!opts.features === !opts.featureService) {
          throw new ConfigError('give exactly one of --features and --feature-service', {
            option: 'features',
          });
        }
        await ctx.withPlatform(async (platform) => {
          const store = platform.feast;
          const entities = await typedEntities(store, opts.entity.map(parseEntityArg));
          const result = await store.getOnlineFeatures({
            ...(opts.features
              ? { features: opts.features.split(',') }
              : { featureService: opts.featureService! }),
            entities,
            fullFeatureNames: Boolean(opts.fullFeatureNames),
          });
          if (opts.json) ctx.out(toJson(result.toObjects()));
          else ctx.out(table(result.toObjects()));
        });
      },
    );

  for (const incremental of [false, true]) {
    const cmd = feast
      .command(incremental ? 'materialize-incremental' : 'materialize')
      .description(
        incremental
          ? "Materialize each view from where it last stopped up to --end (Feast's materialize-incremental)"
          : 'Copy the latest offline values in [--start, --end] into the online store',
      );
    if (!incremental) cmd.requiredOption('--start <time>', 'ISO 8601 with a zone, e.g. 2026-01-01T00:00:00Z');
    cmd
      .requiredOption('--end <time>', 'ISO 8601 with a zone')
      .option('--views <names>', 'comma-separated feature views (default: every online view)')
      .option('--progress', 'a progress bar even when stderr is not a terminal (the default on one)')
      .option('--no-progress', 'no progress bar, no progress lines')
      .option('--json', 'print the per-view result as JSON')
      .addHelpText(
        'after',
        incremental
          ? examples(
              'mlops feast materialize-incremental --end 2026-01-02T00:00:00Z',
              'mlops feast materialize-incremental --end 2026-01-02T00:00:00Z --views driver_hourly_stats --json',
            )
          : examples(
              'mlops feast materialize --start 2026-01-01T00:00:00Z --end 2026-01-02T00:00:00Z --progress',
              'mlops feast materialize --start 2026-01-01T00:00:00.000001Z --end 2026-01-02T00:00:00+02:00 --views driver_hourly_stats --no-progress',
            ),
      )
      .action(
        async (opts: { start?: string; end: string; views?: string; progress?: boolean; json?: boolean }) => {
          const end = parseTime('--end', opts.end);
          const start = opts.start === undefined ? undefined : parseTime('--start', opts.start);
          await ctx.withPlatform(async (platform) => {
            const bar =
              !opts.json && (opts.progress === true || (opts.progress === undefined && ctx.isTTY))
                ? new SingleBar({
                    format: ' {bar} {value}/{total} views | {view}: {rows} rows, {written} written',
                    stream: ctx.stderrStream,
                    hideCursor: true,
                  })
                : undefined;
            let barStarted = false;
            const onProgress = (p: {
              featureView: string;
              viewIndex: number;
              viewCount: number;
              rows: number;
              written: number;
              done: boolean;
            }) => {
              if (bar) {
                // (getTotal() is 100 before start, so it cannot tell whether the bar started.)
                if (!barStarted) {
                  bar.start(p.viewCount, 0, { view: p.featureView, rows: 0, written: 0 });
                  barStarted = true;
                }
                bar.update(p.viewIndex + (p.done ? 1 : 0), {
                  view: p.featureView,
                  rows: p.rows,
                  written: p.written,
                });
              } else if (opts.progress !== false && !opts.json && p.done) {
                ctx.err(
                  `${p.featureView}: ${p.rows} rows, ${p.written} written (${p.viewIndex + 1}/${p.viewCount})`,
                );
              }
            };
            const views = opts.views?.split(',');
            try {
              const results = incremental
                ? await platform.feast.materializeIncremental({
                    end,
                    onProgress,
                    ...(views ? { featureViews: views } : {}),
                  })
                : await platform.feast.materialize({
                    start: start!,
                    end,
                    onProgress,
                    ...(views ? { featureViews: views } : {}),
                  });
              bar?.stop();
              if (opts.json) ctx.out(toJson(results));
              else
                ctx.out(
                  table(
                    results.map((r) => ({
                      view: r.featureView,
                      start: r.start.toISOString(),
                      end: r.end.toISOString(),
                      rows: r.rows,
                      written: r.written,
                      skipped: r.skipped,
                    })),
                  ),
                );
            } finally {
              bar?.stop();
            }
          });
        },
      );
  }
}

/**
 * A time from the command line, checked here so a bad one is a usage error, and passed on as the text itself:
 * Feast's own parser keeps its microseconds (a Date would cut them to milliseconds).
 */
function parseTime(flag: string, text: string): string {
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(text) || Number.isNaN(Date.parse(text))) {
    throw new ConfigError(
      `${flag} takes an ISO 8601 time with a zone (e.g. 2026-01-01T00:00:00Z); got '${text}'`,
      {
        option: flag.slice(2),
      },
    );
  }
  return text;
}
