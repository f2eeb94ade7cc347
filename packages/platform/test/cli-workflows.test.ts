import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../src/cli/program';
import { createPlatform } from '../src/index';
import { mlops } from './support/cli';
import { feastRepo } from './support/platform';
import { dagSource, dagsFolder, python, unique } from './support/workflows';

const platform = createPlatform({ feast: { repoPath: feastRepo } });
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  await platform.close();
});

const SQL =
  'SELECT driver_id, event_timestamp FROM driver_hourly_stats WHERE driver_id BETWEEN 1001 AND 1003 ORDER BY driver_id, event_timestamp LIMIT 30';
const FEATURES = 'driver_hourly_stats:conv_rate,driver_hourly_stats:avg_daily_trips';

function tempFile(name: string): string {
  const path = join(tmpdir(), `${unique('mlops_cli')}_${name}`);
  cleanups.push(() => rmSync(path, { force: true }));
  return path;
}

describe('mlops train-set', () => {
  it('writes Parquet that pyarrow reads back, and logs the dataset to the run (--json)', async () => {
    const experimentId = await platform.mlflow.createExperiment(unique('mlops_cli_trainset'));
    cleanups.push(() => platform.mlflow.deleteExperiment(experimentId));
    const runId = (await platform.mlflow.createRun(experimentId)).info.runId;
    const output = tempFile('train.parquet');
    const { code, stdout, stderr } = await mlops([
      'train-set',
      '-f',
      FEATURES,
      '--entity-sql',
      SQL,
      '-o',
      output,
      '--run-id',
      runId,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const summary = JSON.parse(stdout) as {
      rows: number;
      format: string;
      columns: string[];
      dataset: { digest: string; source: { entity_query: string } };
      runId: string;
    };
    expect(summary).toMatchObject({ rows: 30, format: 'parquet', runId });
    expect(summary.columns).toEqual(['driver_id', 'event_timestamp', 'conv_rate', 'avg_daily_trips']);
    expect(summary.dataset.source.entity_query).toBe(SQL);

    const read = await python<{ rows: number; schema: string[]; first: unknown[]; digest: string }>(`
import json, pyarrow.parquet as pq
from mlflow import MlflowClient
t = pq.read_table(${JSON.stringify(output)})
row = t.slice(0, 1).to_pylist()[0]
run = MlflowClient().get_run(${JSON.stringify(runId)})
print(json.dumps(dict(rows=t.num_rows, schema=[f"{f.name}:{f.type}" for f in t.schema],
  first=[row["driver_id"], row["event_timestamp"].isoformat()], digest=run.inputs.dataset_inputs[0].dataset.digest)))
`);
    expect(read.rows).toBe(30);
    expect(read.schema).toEqual([
      'driver_id:int64',
      'event_timestamp:timestamp[us, tz=UTC]',
      'conv_rate:float',
      'avg_daily_trips:int64',
    ]);
    expect(read.first).toEqual([1001, '2025-12-25T00:00:00+00:00']);
    expect(read.digest).toBe(summary.dataset.digest);
  }, 180_000);

  it('writes Arrow IPC (file format) by the extension, with progress on stderr', async () => {
    const output = tempFile('train.arrow');
    const { code, stdout, stderr } = await mlops([
      'train-set',
      '-f',
      FEATURES,
      '--entity-sql',
      SQL,
      '-o',
      output,
    ]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/: 30 rows, 4 columns \(arrow, \d+ bytes\)\n/);
    expect(stderr).toContain('profiling: 30 rows');
    const table = tableFromIPC(readFileSync(output));
    expect(table.numRows).toBe(30);
    expect(table.getChild('driver_id')?.get(0)).toBe(1001n);
  }, 120_000);

  it('reads the entity rows from a Parquet file pyarrow wrote (--entities), and from Arrow IPC', async () => {
    const entities = tempFile('entities.parquet');
    await python<boolean>(`
import json, datetime as dt, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({"driver_id": pa.array([1001, 1002, 1003], pa.int64()),
              "event_timestamp": pa.array([dt.datetime(2025, 12, 28, 6, tzinfo=dt.timezone.utc)] * 3, pa.timestamp("us", tz="UTC")),
              "label": pa.array([True, False, True])})
pq.write_table(t, ${JSON.stringify(entities)})
print("true")
`);
    const output = tempFile('from-parquet.arrows');
    const { code, stdout, stderr } = await mlops([
      'train-set',
      '-f',
      FEATURES,
      '--entities',
      entities,
      '-o',
      output,
      '--no-profile',
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout)).toMatchObject({
      format: 'arrows',
      rows: 3,
      columns: ['driver_id', 'event_timestamp', 'label', 'conv_rate', 'avg_daily_trips'],
      profiled: [],
    });
    const table = tableFromIPC(readFileSync(output));
    expect(table.getChild('driver_id')?.toArray()).toEqual(BigInt64Array.from([1001n, 1002n, 1003n]));
    expect(table.getChild('label')?.toArray()).toEqual([true, false, true]);
    // The same rows given as an Arrow IPC file give the same training set.
    const ipcEntities = tempFile('entities.arrow');
    writeFileSync(ipcEntities, tableToIPC(table.select(['driver_id', 'event_timestamp', 'label']), 'file'));
    const again = tempFile('again.arrows');
    const fromIpc = await mlops(['train-set', '-f', FEATURES, '--entities', ipcEntities, '-o', again]);
    expect(fromIpc.code).toBe(EXIT.ok);
    const second = tableFromIPC(readFileSync(again));
    expect(second.getChild('conv_rate')?.toArray()).toEqual(table.getChild('conv_rate')?.toArray());
    expect(second.getChild('avg_daily_trips')?.toArray()).toEqual(
      table.getChild('avg_daily_trips')?.toArray(),
    );
  }, 180_000);

  it('draws a progress bar of the rows on a terminal', async () => {
    const drawn: string[] = [];
    const stderrStream = new Writable({
      write(chunk, _encoding, done) {
        drawn.push(String(chunk));
        done();
      },
    });
    Object.assign(stderrStream, {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    let stdout = '';
    const code = await runCli(
      ['train-set', '-f', FEATURES, '--entity-sql', SQL, '-o', tempFile('bar.arrow')],
      {
        stdout: (text) => {
          stdout += text;
        },
        stderr: () => {},
        stderrStream,
        isTTY: true,
        platformOptions: { feast: { repoPath: feastRepo } },
      },
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(': 30 rows, 4 columns');
    expect(drawn.join('')).toMatch(/30\/30 rows \| (profiling|done)/);
  }, 120_000);

  it('exits 2 on bad usage, before any query', async () => {
    const both = await mlops([
      'train-set',
      '-f',
      FEATURES,
      '-s',
      'x',
      '--entity-sql',
      SQL,
      '-o',
      'x.parquet',
    ]);
    expect(both).toMatchObject({
      code: EXIT.usage,
      stderr: 'mlops: give exactly one of --features and --feature-service\n',
    });
    const format = await mlops(['train-set', '-f', FEATURES, '--entity-sql', SQL, '-o', 'x.csv']);
    expect(format.code).toBe(EXIT.usage);
    expect(format.stderr).toContain(
      "--format takes parquet, arrow or arrows (or name the output .parquet, .arrow or .arrows); got 'x.csv'",
    );
    const noOutput = await mlops(['train-set', '-f', FEATURES, '--entity-sql', SQL]);
    expect(noOutput.code).toBe(EXIT.usage);
    expect((await mlops(['train-set', '--help'])).stdout).toContain('Examples:\n  mlops train-set');
  });
});

describe('mlops models promote', () => {
  it('moves the alias only when --validate-cmd passes; exit 1 leaves it where it was', async () => {
    const experimentId = await platform.mlflow.createExperiment(unique('mlops_cli_promote'));
    cleanups.push(() => platform.mlflow.deleteExperiment(experimentId));
    const name = unique('mlops_cli_model');
    cleanups.push(() => platform.mlflow.deleteRegisteredModel(name));
    await platform.mlflow.createRegisteredModel(name);
    for (let i = 0; i < 2; i++) {
      const runId = (await platform.mlflow.createRun(experimentId)).info.runId;
      await platform.mlflow.logText({ runId }, 'flavors: {}\n', 'model/MLmodel');
      await platform.mlflow.createModelVersion(name, `runs:/${runId}/model`, { runId });
    }
    const first = await mlops(['models', 'promote', name, '--version', '1', '--alias', 'champion', '--json']);
    expect(first.code).toBe(EXIT.ok);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, aliasMoved: true, version: { version: '1' } });

    const refused = await mlops([
      'models',
      'promote',
      name,
      '--version',
      '2',
      '--alias',
      'champion',
      '--validate-cmd',
      'echo "auc too low for $MLOPS_MODEL_URI"; exit 3',
    ]);
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toContain(`The alias champion was not moved (it still points to version 1)`);
    expect(refused.stderr).toContain(`auc too low for models:/${name}/2`);
    expect((await platform.mlflow.getRegisteredModel(name)).aliases).toEqual({ champion: '1' });

    const passed = await mlops([
      'models',
      'promote',
      name,
      '--version',
      '2',
      '--alias',
      'champion',
      '--validate-cmd',
      'test "$MLOPS_MODEL_VERSION" = 2',
    ]);
    expect(passed.stdout).toBe(`${name}@champion -> version 2 (was 1)\n`);
    expect(passed.code).toBe(EXIT.ok);
    expect((await platform.mlflow.getRegisteredModel(name)).aliases).toEqual({ champion: '2' });
  }, 120_000);

  it("--run-id registers the run's model as a new version first, then promotes it", async () => {
    const experimentId = await platform.mlflow.createExperiment(unique('mlops_cli_register'));
    cleanups.push(() => platform.mlflow.deleteExperiment(experimentId));
    const name = unique('mlops_cli_registered');
    cleanups.push(() => platform.mlflow.deleteRegisteredModel(name));
    const runId = (await platform.mlflow.createRun(experimentId)).info.runId;
    await platform.mlflow.logText({ runId }, 'flavors: {}\n', 'clf/MLmodel');
    const { code, stdout, stderr } = await mlops([
      'models',
      'promote',
      name,
      '--run-id',
      runId,
      '--artifact-path',
      'clf',
      '--alias',
      'challenger',
    ]);
    expect(stderr).toBe(`registered ${name} version 1\n`);
    expect(stdout).toBe(`${name}@challenger -> version 1\n`);
    expect(code).toBe(EXIT.ok);
    const version = await platform.mlflow.getModelVersionByAlias(name, 'challenger');
    expect(version).toMatchObject({ version: '1', runId, source: `runs:/${runId}/clf` });
  }, 60_000);

  it('exits 2 without exactly one of --version and --run-id, or with a bad version', async () => {
    expect((await mlops(['models', 'promote', 'm', '--alias', 'a'])).code).toBe(EXIT.usage);
    const bad = await mlops(['models', 'promote', 'm', '--version', 'two', '--alias', 'a']);
    expect(bad).toMatchObject({
      code: EXIT.usage,
      stderr: 'mlops: version must be a version number (1, 2, ...); got "two".\n',
    });
  });
});

describe('mlops dags deploy', () => {
  it('deploys a DAG file, and exits 1 with the import error for one that does not import', async () => {
    const folder = dagsFolder();
    const dagId = unique('mlops_cli_deploy');
    const local = join(tmpdir(), `${dagId}.py`);
    cleanups.push(() => rmSync(join(folder, `${dagId}.py`), { force: true }));
    cleanups.push(() => rmSync(local, { force: true }));
    writeFileSync(local, dagSource(dagId, 1));
    const ok = await mlops(['dags', 'deploy', local, '--dags-folder', folder, '--json']);
    expect(ok.code).toBe(EXIT.ok);
    const deployed = JSON.parse(ok.stdout) as { dagId: string; version: { dag_id: string } };
    expect(deployed.dagId).toBe(dagId);
    expect(deployed.version.dag_id).toBe(dagId);

    writeFileSync(local, `${dagSource(dagId, 2)}\ndef broken(:\n`);
    const broken = await mlops(['dags', 'deploy', local, '--dags-folder', folder]);
    expect(broken.code).toBe(EXIT.failed);
    expect(broken.stderr).toContain(`DAG ${dagId}: Airflow could not import ${dagId}.py`);
    expect(broken.stderr).toContain('SyntaxError');
    expect(broken.stderr).toContain(`put the previous ${join(folder, `${dagId}.py`)} back`);
    expect(readFileSync(join(folder, `${dagId}.py`), 'utf8')).toBe(dagSource(dagId, 1));
  }, 300_000);

  it('exits 2 for a missing file or DAG folder', async () => {
    const missing = await mlops(['dags', 'deploy', '/nonexistent/x.py', '--dags-folder', '/tmp']);
    expect(missing).toMatchObject({
      code: EXIT.usage,
      stderr: 'mlops: no file at /nonexistent/x.py: give the path of a DAG file (.py).\n',
    });
    expect((await mlops(['dags', 'deploy', '--help'])).stdout).toContain(
      'mlops dags deploy dags/feature_pipeline.py',
    );
  });
});
