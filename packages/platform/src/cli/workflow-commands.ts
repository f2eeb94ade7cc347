// `mlops train-set`, `mlops models promote`, `mlops dags deploy`: the CLI over the cross-component workflows.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { AirflowWaitTimeoutError, DagImportError } from '@mlops/airflow';
import { ConfigError } from '@mlops/core';
import { type Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ModelValidationError, WorkflowInputError } from '../workflows/errors';
import { deployDag } from '../workflows/pipelines';
import { promoteModelVersion, registerModel, type ValidationOutcome } from '../workflows/register-model';
import { buildTrainingSet } from '../workflows/training-set';
import { type CliContext, commandGroup } from './context';
import { EXIT } from './exit-codes';
import { toJson } from './json';

/** The file formats `train-set` writes: Parquet (zstd) or Arrow IPC (file format; `.arrows`: stream format). */
export type TrainSetFormat = 'parquet' | 'arrow' | 'arrows';

const FORMAT_OF_EXTENSION: Record<string, TrainSetFormat> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrows',
};

/** A workflow's bad argument is a usage error on the command line (exit 2). */
function asUsage<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (WorkflowInputError.isInstance(error))
      throw new ConfigError(error.message.replace(/^\w+: /, ''), { option: error.input });
    throw error;
  });
}

function positiveSeconds(flag: string, text: string): number {
  const seconds = Number(text);
  if (!(seconds > 0))
    throw new ConfigError(`${flag} takes a positive number of seconds; got '${text}'`, {
      option: flag.slice(2),
    });
  return seconds * 1000;
}

/** The parquet-wasm module, loaded on first use (a few MB of WebAssembly that nothing else needs). */
async function parquet() {
  return import('parquet-wasm');
}

async function readEntities(file: string): Promise<Table> {
  if (!existsSync(file)) throw new ConfigError(`--entities: no file at ${file}`, { option: 'entities' });
  const bytes = readFileSync(file);
  if (extname(file).toLowerCase() === '.parquet' || extname(file).toLowerCase() === '.pq') {
    const pq = await parquet();
    return tableFromIPC(pq.readParquet(bytes).intoIPCStream());
  }
  return tableFromIPC(bytes);
}

async function writeTable(table: Table, file: string, format: TrainSetFormat): Promise<number> {
  let bytes: Uint8Array;
  if (format === 'parquet') {
    const pq = await parquet();
    const properties = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build();
    bytes = pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(table, 'stream')), properties);
  } else bytes = tableToIPC(table, format === 'arrow' ? 'file' : 'stream');
  writeFileSync(file, bytes);
  return bytes.length;
}

/** Runs `--validate-cmd` for a version; exit 0 is a pass. Its output's tail is the validation's details. */
function validateWithCommand(
  command: string,
  env: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<ValidationOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      ...(signal ? { signal } : {}),
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      const tail = output.trimEnd().split('\n').slice(-20).join('\n');
      resolvePromise({
        ok: code === 0,
        details: { command, exitCode: code, ...(killedBy ? { signal: killedBy } : {}), output: tail },
      });
    });
  });
}

export function registerWorkflowCommands(program: Command, ctx: CliContext): void {
  // `mlops models promote <name> --version N`: without positional options, commander takes any `--version`
  // on the line as the program's own (it prints the package version). The program has no other option, so
  // this only makes `mlops --version` be the program's when it comes before the command.
  program.enablePositionalOptions();
  program
    .command('train-set')
    .description(
      'Build a point-in-time training set from Feast, write it as Parquet or Arrow IPC, and log it to an MLflow run',
    )
    .option('-s, --feature-service <name>', 'a feature service of the repo')
    .option('-f, --features <refs>', 'comma-separated view:feature references (instead of --feature-service)')
    .option(
      '--entity-sql <query>',
      'entity rows from a SQL query run in the offline store (recorded in the dataset)',
    )
    .option(
      '--entities <file>',
      'entity rows from an Arrow IPC or Parquet file (join keys, event_timestamp, labels)',
    )
    .requiredOption(
      '-o, --output <file>',
      'where to write: .parquet, .arrow (IPC file), .arrows (IPC stream)',
    )
    .option('--format <format>', 'parquet | arrow | arrows (default: from the extension)')
    .option('--run-id <id>', 'log the dataset input and the drift reference profile to this MLflow run')
    .option(
      '--dataset-name <name>',
      "the dataset's name in MLflow (default: the feature service, else training_set)",
    )
    .option('--no-profile', 'no drift reference profile')
    .option('--timeout <seconds>', 'deadline of the retrieval query')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a summary as JSON: output, rows, columns, dataset, runId')
    .addHelpText(
      'after',
      `
Exit codes: 0 written (and logged); 1 the retrieval or MLflow failed; 2 bad usage (options, unknown format).

Examples:
  mlops train-set -f driver_hourly_stats:conv_rate,driver_hourly_stats:acc_rate \\
    --entity-sql "SELECT driver_id, event_timestamp FROM trips" -o train.parquet
  mlops train-set -s driver_activity --entities entities.arrow -o train.arrow --run-id $RUN_ID --json`,
    )
    .action(
      async (opts: {
        featureService?: string;
        features?: string;
        entitySql?: string;
        entities?: string;
        output: string;
        format?: string;
        runId?: string;
        datasetName?: string;
        profile: boolean;
        timeout?: string;
        progress: boolean;
        json?: boolean;
      }) => {
        if (!opts.features === !opts.featureService)
          throw new ConfigError('give exactly one of --features and --feature-service', {
            option: 'features',
          });
        if (!opts.entitySql === !opts.entities)
          throw new ConfigError('give exactly one of --entity-sql and --entities', { option: 'entities' });
        const format = (opts.format ?? FORMAT_OF_EXTENSION[extname(opts.output).toLowerCase()]) as
          | TrainSetFormat
          | undefined;
        if (format === undefined || !['parquet', 'arrow', 'arrows'].includes(format))
          throw new ConfigError(
            `--format takes parquet, arrow or arrows (or name the output .parquet, .arrow or .arrows); got '${opts.format ?? opts.output}'`,
            { option: 'format' },
          );
        const timeoutMs = opts.timeout === undefined ? undefined : positiveSeconds('--timeout', opts.timeout);
        const entityDf = opts.entitySql ?? (await readEntities(opts.entities as string));
        const output = resolve(opts.output);
        await ctx.withPlatform(async (platform) => {
          const bar =
            opts.progress && !opts.json && ctx.isTTY
              ? new SingleBar({
                  format: ' {bar} {value}/{total} rows | {phase}',
                  stream: ctx.stderrStream,
                  hideCursor: true,
                })
              : undefined;
          let barStarted = false;
          try {
            const set = await asUsage(() =>
              buildTrainingSet(platform, {
                ...(opts.features
                  ? { features: opts.features.split(',').map((f) => f.trim()) }
                  : { featureService: opts.featureService as string }),
                entityDf,
                ...(opts.runId ? { run: opts.runId } : {}),
                ...(opts.datasetName ? { datasetName: opts.datasetName } : {}),
                ...(opts.profile ? {} : { profile: false as const }),
                ...(timeoutMs !== undefined ? { timeoutMs } : {}),
                onProgress: (e) => {
                  if (bar) {
                    // (getTotal() is 100 before start(): whether it started is ours to track.)
                    if (e.phase === 'retrieving') {
                      // A SQL entity query's row count is known at the end only: the total follows the rows.
                      const total = e.totalRows ?? e.rows;
                      if (!barStarted) bar.start(total, e.rows, { phase: 'retrieving' });
                      else if (e.totalRows === undefined) bar.setTotal(total);
                      barStarted = true;
                      bar.update(e.rows, { phase: 'retrieving' });
                    } else if (barStarted) bar.update({ phase: e.phase });
                  } else if (opts.progress && !opts.json && e.phase !== 'retrieving') {
                    ctx.err(
                      e.phase === 'logging'
                        ? `logging to MLflow run ${e.runId}`
                        : `${e.phase}: ${e.rows} rows`,
                    );
                  }
                },
              }),
            );
            bar?.stop();
            const bytes = await writeTable(set.table, output, format);
            const summary = {
              output,
              format,
              bytes,
              rows: set.table.numRows,
              columns: set.table.schema.fields.map((f) => f.name),
              featureColumns: set.featureColumns,
              dataset: {
                name: set.dataset.name,
                digest: set.dataset.digest,
                sourceType: set.dataset.sourceType,
                source: JSON.parse(set.dataset.source) as unknown,
              },
              runId: set.runId ?? null,
              profiled: set.profile?.features.map((f) => f.name) ?? [],
              profileSkipped: set.profileSkipped,
            };
            if (opts.json) ctx.out(toJson(summary));
            else {
              ctx.out(
                `${output}: ${summary.rows} rows, ${summary.columns.length} columns (${format}, ${bytes} bytes)`,
              );
              ctx.out(`dataset ${summary.dataset.name} digest ${summary.dataset.digest}`);
              if (set.runId)
                ctx.out(`logged to MLflow run ${set.runId} (input dataset, drift/reference-profile.json)`);
              if (set.profileSkipped.length)
                ctx.err(`not profiled (types a drift profile cannot hold): ${set.profileSkipped.join(', ')}`);
            }
          } finally {
            bar?.stop();
          }
        });
      },
    );

  commandGroup(program, 'models', 'MLflow model registry')
    .command('promote')
    .description(
      'Move an alias to a model version once it is READY and your validation passes (a failed validation leaves the alias where it was)',
    )
    .argument('<name>', 'the registered model')
    .option('--version <n>', 'the version to promote')
    .option('--run-id <id>', 'register a new version from this run first (instead of --version)')
    .option('--artifact-path <path>', "with --run-id: the model's name or path in the run", 'model')
    .requiredOption('--alias <alias>', 'the alias to move, e.g. champion')
    .option(
      '--validate-cmd <command>',
      'a shell command that validates the version (exit 0 passes); it gets MLOPS_MODEL_NAME, MLOPS_MODEL_VERSION, MLOPS_MODEL_URI, MLOPS_MODEL_RUN_ID',
    )
    .option('--timeout <seconds>', 'how long to wait for the version to be READY', '300')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 the alias points to the version; 1 validation failed (alias not moved), the version never got
READY, or MLflow failed; 2 bad usage.

Examples:
  mlops models promote churn --version 4 --alias champion
  mlops models promote churn --version 4 --alias champion --validate-cmd "python eval.py --min-auc 0.8"
  mlops models promote churn --run-id $RUN_ID --artifact-path model --alias challenger --json`,
    )
    .action(
      async (
        name: string,
        opts: {
          version?: string;
          runId?: string;
          artifactPath: string;
          alias: string;
          validateCmd?: string;
          timeout: string;
          json?: boolean;
        },
      ) => {
        if (!opts.version === !opts.runId)
          throw new ConfigError('give exactly one of --version and --run-id', { option: 'version' });
        const timeoutMs = positiveSeconds('--timeout', opts.timeout);
        const command = opts.validateCmd;
        await ctx.withPlatform(async (platform) => {
          const validate = command
            ? (
                v: { name: string; version: string; runId: string | undefined },
                c: { signal: AbortSignal | undefined },
              ) =>
                validateWithCommand(
                  command,
                  {
                    MLOPS_MODEL_NAME: v.name,
                    MLOPS_MODEL_VERSION: v.version,
                    MLOPS_MODEL_URI: `models:/${v.name}/${v.version}`,
                    MLOPS_MODEL_RUN_ID: v.runId ?? '',
                    MLFLOW_TRACKING_URI: platform.config.mlflow.trackingUri,
                  },
                  c.signal,
                )
            : undefined;
          const progress = opts.json
            ? undefined
            : (e: { phase: string; version?: string; status?: string; ok?: boolean; alias?: string }) => {
                if (e.phase === 'waiting') ctx.err(`version ${e.version}: ${e.status}`);
                else if (e.phase === 'validated')
                  ctx.err(`validation of version ${e.version}: ${e.ok ? 'passed' : 'FAILED'}`);
                else if (e.phase === 'created') ctx.err(`registered ${name} version ${e.version}`);
              };
          const common = {
            name,
            alias: opts.alias,
            timeoutMs,
            ...(validate ? { validate } : {}),
            ...(progress ? { onProgress: progress } : {}),
          };
          try {
            const result = await asUsage(() =>
              opts.runId
                ? registerModel(platform, { ...common, runId: opts.runId, artifactPath: opts.artifactPath })
                : promoteModelVersion(platform, { ...common, version: opts.version as string }),
            );
            if (opts.json) ctx.out(toJson({ ok: true, ...result }));
            else
              ctx.out(
                `${name}@${opts.alias} -> version ${result.version.version}${result.previousAliasVersion ? ` (was ${result.previousAliasVersion})` : ''}`,
              );
          } catch (error) {
            if (!ModelValidationError.isInstance(error)) throw error;
            if (opts.json) ctx.out(toJson({ ok: false, error: error.toJSON() }));
            else {
              ctx.err(`mlops: ${error.message}`);
              const output = (error.details as { output?: string } | undefined)?.output;
              if (output) ctx.err(output);
            }
            ctx.setExitCode(EXIT.failed);
          }
        });
      },
    );

  commandGroup(program, 'dags', 'Airflow: DAGs and their runs')
    .command('deploy')
    .description(
      "Copy a DAG file into Airflow's DAG folder, reparse it, and wait until Airflow serves it (a file that does not import is rolled back)",
    )
    .argument('<file>', 'the DAG file (.py)')
    .option(
      '--dags-folder <dir>',
      'the DAG folder (default: AIRFLOW__CORE__DAGS_FOLDER, else $AIRFLOW_HOME/airflow.cfg)',
    )
    .option('--dag-id <id>', 'the DAG to wait for (default: the dag_id="…" of the file)')
    .option('--timeout <seconds>', 'how long to wait for Airflow to parse it', '120')
    .option('--no-rollback', 'leave a file that does not import in place')
    .option('--json', 'print the deployed DAG version as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 Airflow serves the new file; 1 it does not import (the import error is printed, the previous file
put back) or Airflow did not parse it in time; 2 bad usage (no such file, no DAG folder, no dag_id).

Examples:
  mlops dags deploy dags/feature_pipeline.py --dags-folder /opt/airflow/dags
  AIRFLOW_HOME=/opt/airflow mlops dags deploy dags/train.py --json`,
    )
    .action(
      async (
        file: string,
        opts: { dagsFolder?: string; dagId?: string; timeout: string; rollback: boolean; json?: boolean },
      ) => {
        const timeoutMs = positiveSeconds('--timeout', opts.timeout);
        await ctx.withPlatform(async (platform) => {
          try {
            const deployed = await asUsage(() =>
              deployDag(platform, file, {
                ...(opts.dagsFolder ? { dagsFolder: opts.dagsFolder } : {}),
                ...(opts.dagId ? { dagId: opts.dagId } : {}),
                timeoutMs,
                rollback: opts.rollback,
                onProgress: (e) => {
                  if (opts.json) return;
                  if (e.phase === 'copied') ctx.err(`copied to ${e.path}`);
                  else if (e.phase === 'waiting') ctx.err(`waiting for Airflow to parse ${e.dagId}...`);
                  else if (e.phase === 'rolled-back')
                    ctx.err(e.restored ? `put the previous ${e.path} back` : `removed ${e.path}`);
                },
              }),
            );
            if (opts.json) ctx.out(toJson(deployed));
            else
              ctx.out(
                `${deployed.dagId}: version ${deployed.version.version_number} serves ${deployed.fileName} (sha256 ${deployed.sourceHash.slice(0, 12)})`,
              );
          } catch (error) {
            if (DagImportError.isInstance(error)) {
              if (opts.json) ctx.out(toJson({ ok: false, error: error.toJSON() }));
              else ctx.err(`mlops: ${error.message}\n${error.stackTrace.trimEnd()}`);
              ctx.setExitCode(EXIT.failed);
              return;
            }
            if (AirflowWaitTimeoutError.isInstance(error) && opts.json) {
              ctx.out(toJson({ ok: false, error: error.toJSON() }));
              ctx.setExitCode(EXIT.failed);
              return;
            }
            throw error;
          }
        });
      },
    );
}
