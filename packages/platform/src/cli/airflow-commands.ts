import { DagRunFailedError } from '@mlops/airflow';
import { ConfigError } from '@mlops/core';
import type { Command } from 'commander';
import { type CliContext, commandGroup } from './context';
import { EXIT, examples } from './exit-codes';
import { toJson } from './json';
import { table } from './table';

function parseConf(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--conf takes a JSON object, e.g. --conf '{"n": 5}': ${(error as Error).message}`, {
      option: 'conf',
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`--conf takes a JSON object, e.g. --conf '{"n": 5}'; got ${text}`, {
      option: 'conf',
    });
  }
  return value as Record<string, unknown>;
}

export function addAirflowCommands(program: Command, ctx: CliContext): void {
  const dags = commandGroup(program, 'dags', 'Airflow: DAGs and their runs');

  dags
    .command('list')
    .description('Every DAG: id, paused, schedule, tags')
    .option('--json', 'print JSON')
    .addHelpText('after', examples('mlops dags list', 'mlops dags list --json'))
    .action(async (opts: { json?: boolean }) => {
      await ctx.withPlatform(async (platform) => {
        const rows: Array<Record<string, unknown>> = [];
        for await (const dag of platform.airflow.dags.list()) {
          rows.push({
            dag_id: dag.dag_id,
            paused: dag.is_paused,
            schedule: dag.timetable_summary ?? '',
            tags: dag.tags.map((t) => t.name).join(','),
          });
        }
        ctx.out(opts.json ? toJson(rows) : table(rows));
      });
    });

  dags
    .command('trigger')
    .description(
      'Trigger a DAG run (idempotent: a retried trigger makes one run); --wait follows it to its end',
    )
    .argument('<dagId>', 'the DAG to run')
    .option('--conf <json>', "the run's conf, a JSON object")
    .option('--run-id <id>', 'the run id (default: a generated one)')
    .option('--wait', 'wait for the run to end, printing task states as they change')
    .option('--timeout <seconds>', 'with --wait: give up after this long (the run goes on)', '3600')
    .option('--json', 'print the run (and with --wait its task instances and leaf XComs) as JSON')
    .addHelpText(
      'after',
      examples(
        'mlops dags trigger feature_pipeline --wait',
        'mlops dags trigger xcom_example --conf \'{"n": 5}\' --wait --json',
      ),
    )
    .action(
      async (
        dagId: string,
        opts: { conf?: string; runId?: string; wait?: boolean; timeout: string; json?: boolean },
      ) => {
        const conf = parseConf(opts.conf);
        const timeoutSeconds = Number(opts.timeout);
        if (!(timeoutSeconds > 0)) {
          throw new ConfigError(`--timeout takes a positive number of seconds; got '${opts.timeout}'`, {
            option: 'timeout',
          });
        }
        await ctx.withPlatform(async (platform) => {
          const trigger = { ...(conf ? { conf } : {}), ...(opts.runId ? { runId: opts.runId } : {}) };
          if (!opts.wait) {
            const run = await platform.airflow.dagRuns.trigger(dagId, trigger);
            ctx.out(opts.json ? toJson(run) : `${run.dag_id}/${run.dag_run_id}: ${run.state}`);
            return;
          }
          try {
            const result = await platform.airflow.dagRuns.triggerAndWait(dagId, {
              ...trigger,
              timeout: timeoutSeconds * 1000,
              onProgress: ({ changes }) => {
                if (opts.json) return;
                for (const c of changes) {
                  const index = c.mapIndex >= 0 ? `[${c.mapIndex}]` : '';
                  ctx.err(
                    `${c.taskId}${index}: ${c.from ?? 'none'} -> ${c.to ?? 'none'} (try ${c.tryNumber})`,
                  );
                }
              },
            });
            if (opts.json) ctx.out(toJson(result));
            else {
              ctx.out(`${result.run.dag_id}/${result.run.dag_run_id}: ${result.run.state}`);
              for (const [task, value] of Object.entries(result.xcoms))
                ctx.out(`  ${task} returned ${toJson(value, 0)}`);
            }
          } catch (error) {
            if (!DagRunFailedError.isInstance(error)) throw error;
            if (opts.json) ctx.out(toJson({ run: error.run, failedTasks: error.failedTasks }));
            else {
              ctx.out(`${error.dagId}/${error.runId}: failed`);
              for (const task of error.failedTasks) {
                ctx.out(`  ${task.taskId} (try ${task.tryNumber}, ${task.state}); last log lines:`);
                for (const line of task.logTail.slice(-10)) ctx.out(`    ${line}`);
              }
            }
            ctx.setExitCode(EXIT.failed);
          }
        });
      },
    );
}
