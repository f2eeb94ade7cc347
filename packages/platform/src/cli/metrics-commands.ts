import { ConfigError } from '@mlops/core';
import type { Labels, QueryResult } from '@mlops/metrics';
import type { Command } from 'commander';
import { type CliContext, commandGroup } from './context';
import { examples } from './exit-codes';
import { toJson } from './json';
import { table } from './table';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A Prometheus duration (`90s`, `1h30m`, `2d`) in milliseconds; a usage error naming the flag otherwise. */
export function parseDuration(flag: string, text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0);
  if (parts.map((p) => p[0]).join('') !== text || !(ms > 0)) {
    throw new ConfigError(
      `${flag} takes a Prometheus duration such as 30s, 15m, 1h30m or 2d; got '${text}'`,
      { option: flag.slice(2) },
    );
  }
  return ms;
}

function parseTime(flag: string, text: string): Date {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!/^\d+(\.\d+)?$/.test(text) && !/(Z|[+-]\d\d:?\d\d)$/i.test(text)) {
    throw new ConfigError(
      `${flag} takes an ISO 8601 time with a zone (e.g. 2026-01-01T00:00:00Z) or unix seconds; got '${text}'`,
      { option: flag.slice(2) },
    );
  }
  if (Number.isNaN(ms)) {
    throw new ConfigError(`${flag} is not a time: '${text}'`, { option: flag.slice(2) });
  }
  return new Date(ms);
}

/** `{__name__="up", job="x"}` as PromQL prints a series. */
function seriesText(labels: Labels): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.entries(rest)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name ?? ''}${pairs.length || !name ? `{${pairs.join(', ')}}` : ''}`;
}

/** A sample value for JSON: a number when finite, else Prometheus's own spelling ("NaN", "+Inf", "-Inf"). */
function valueJson(value: number): number | string {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The result for `--json`: times as ISO 8601 and unix ms, values exact (NaN and ±Inf as Prometheus spells them). */
function resultJson(result: QueryResult): unknown {
  const notes = { warnings: result.warnings, infos: result.infos };
  switch (result.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        result: result.result.map((s) =>
          s.value
            ? { metric: s.metric, time: iso(s.value[0]), timeMs: s.value[0], value: valueJson(s.value[1]) }
            : {
                metric: s.metric,
                time: iso(s.histogram[0]),
                timeMs: s.histogram[0],
                histogram: s.histogram[1],
              },
        ),
        ...notes,
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: result.result.map((s) => ({
          metric: s.metric,
          values: s.values.map(([t, v]) => ({ time: iso(t), timeMs: t, value: valueJson(v) })),
          histograms: s.histograms.map(([t, h]) => ({ time: iso(t), timeMs: t, histogram: h })),
        })),
        ...notes,
      };
    case 'scalar':
      return {
        resultType: 'scalar',
        result: { time: iso(result.result[0]), timeMs: result.result[0], value: valueJson(result.result[1]) },
        ...notes,
      };
    case 'string':
      return {
        resultType: 'string',
        result: { time: iso(result.result[0]), timeMs: result.result[0], value: result.result[1] },
        ...notes,
      };
  }
}

function resultRows(result: QueryResult): Array<Record<string, unknown>> {
  switch (result.resultType) {
    case 'vector':
      return result.result.map((s) =>
        s.value
          ? { series: seriesText(s.metric), time: iso(s.value[0]), value: valueJson(s.value[1]) }
          : {
              series: seriesText(s.metric),
              time: iso(s.histogram[0]),
              value: `histogram count=${s.histogram[1].count} sum=${s.histogram[1].sum}`,
            },
      );
    case 'matrix':
      return result.result.flatMap((s) =>
        s.values.map(([t, v]) => ({ series: seriesText(s.metric), time: iso(t), value: valueJson(v) })),
      );
    case 'scalar':
      return [{ time: iso(result.result[0]), value: valueJson(result.result[1]) }];
    case 'string':
      return [{ time: iso(result.result[0]), value: result.result[1] }];
  }
}

export function addMetricsCommands(program: Command, ctx: CliContext): void {
  const metrics = commandGroup(program, 'metrics', 'Prometheus: query the metrics the platform scrapes');

  metrics
    .command('query')
    .description(
      'Evaluate a PromQL expression: at one time (an instant query), or over --range every --step (a range query)',
    )
    .argument('<promql>', "the expression, e.g. 'up' or 'rate(http_requests_total[5m])'")
    .option('--time <time>', 'evaluation time (the end of the range with --range): ISO 8601 or unix seconds')
    .option('--range <duration>', 'a range query over this long, ending at --time (default now), e.g. 1h')
    .option('--step <duration>', 'with --range: the resolution (default: the range / 60, at least 1s)')
    .option(
      '--json',
      'print the result as JSON (times ISO 8601 and unix ms; NaN and ±Inf as "NaN", "+Inf", "-Inf")',
    )
    .addHelpText(
      'after',
      examples(
        "mlops metrics query 'up'",
        "mlops metrics query 'sum by (job) (up)' --json",
        "mlops metrics query 'rate(prometheus_http_requests_total[1m])' --range 15m --step 30s",
      ),
    )
    .action(async (expr: string, opts: { time?: string; range?: string; step?: string; json?: boolean }) => {
      if (opts.step !== undefined && opts.range === undefined) {
        throw new ConfigError(
          '--step goes with --range (a range query); without --range the query is instant',
          {
            option: 'step',
          },
        );
      }
      const time = opts.time === undefined ? undefined : parseTime('--time', opts.time);
      const rangeMs = opts.range === undefined ? undefined : parseDuration('--range', opts.range);
      const stepMs =
        opts.step === undefined
          ? rangeMs === undefined
            ? undefined
            : Math.max(1000, Math.round(rangeMs / 60))
          : parseDuration('--step', opts.step);
      await ctx.withPlatform(async (platform) => {
        let result: QueryResult;
        if (rangeMs === undefined) {
          result = await platform.prometheus.query(expr, time ? { time } : {});
        } else {
          const end = time ?? new Date();
          result = await platform.prometheus.queryRange(expr, {
            start: new Date(end.getTime() - rangeMs),
            end,
            step: stepMs!,
          });
        }
        if (opts.json) ctx.out(toJson(resultJson(result)));
        else {
          ctx.out(table(resultRows(result)));
          for (const warning of result.warnings) ctx.err(`warning: ${warning}`);
          for (const info of result.infos) ctx.err(`info: ${info}`);
        }
      });
    });
}
