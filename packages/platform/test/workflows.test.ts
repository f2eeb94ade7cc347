import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  AirflowWaitTimeoutError,
  buildTrainingSet,
  createPlatform,
  DagImportError,
  DagRunFailedError,
  deployDag,
  ModelRegistrationError,
  ModelValidationError,
  type Platform,
  promoteModelVersion,
  REFERENCE_PROFILE_ARTIFACT,
  registerModel,
  runPipeline,
  WorkflowInputError,
  WorkflowTimeoutError,
} from '../src/index';
import { feastRepo } from './support/platform';
import { dagSource, dagsFolder, python, unique } from './support/workflows';

const platform: Platform = createPlatform({ feast: { repoPath: feastRepo } });
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  await platform.close();
});

const FEATURES = [
  'driver_hourly_stats:conv_rate',
  'driver_hourly_stats:acc_rate',
  'driver_hourly_stats:avg_daily_trips',
] as const;

function entityRows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    driver_id: BigInt(1001 + (i % 10)),
    event_timestamp: new Date(Date.UTC(2025, 11, 26 + (i % 5), 6 + (i % 12))),
    label: i % 3 === 0,
  }));
}

async function newRun(prefix: string): Promise<string> {
  const experimentId = await platform.mlflow.createExperiment(unique(prefix));
  cleanups.push(() => platform.mlflow.deleteExperiment(experimentId));
  return (await platform.mlflow.createRun(experimentId)).info.runId;
}

describe('buildTrainingSet against Feast (PostgreSQL offline store) and MLflow', () => {
  it('logs the dataset input that MLflow Python reads back, and the drift reference profile', async () => {
    const runId = await newRun('mlops_platform_trainset');
    const phases: string[] = [];
    const set = await buildTrainingSet(platform, {
      features: FEATURES,
      entityDf: entityRows(40),
      run: runId,
      datasetName: 'driver_training',
      onProgress: (e) => phases.push(e.phase),
    });
    expect(set.table.numRows).toBe(40);
    expect(set.table.schema.fields.map((f) => f.name)).toEqual([
      'driver_id',
      'event_timestamp',
      'label',
      'conv_rate',
      'acc_rate',
      'avg_daily_trips',
    ]);
    expect(set.featureColumns).toEqual(['conv_rate', 'acc_rate', 'avg_daily_trips']);
    expect(set.profile?.features.map((f) => f.name)).toEqual(set.featureColumns);
    expect(set.profile?.rows).toBe(40);
    expect(phases[0]).toBe('retrieving');
    expect(phases.slice(-3)).toEqual(['profiling', 'logging', 'done']);
    expect(set.runId).toBe(runId);

    const read = await python<{
      inputs: Array<{
        name: string;
        digest: string;
        source_type: string;
        source: string;
        schema: string;
        profile: string;
        tags: Record<string, string>;
      }>;
      profile: unknown;
    }>(`
import json, mlflow
from mlflow import MlflowClient
client = MlflowClient()
run = client.get_run(${JSON.stringify(runId)})
inputs = [dict(name=i.dataset.name, digest=i.dataset.digest, source_type=i.dataset.source_type, source=i.dataset.source,
               schema=i.dataset.schema, profile=i.dataset.profile, tags={t.key: t.value for t in i.tags})
          for i in run.inputs.dataset_inputs]
profile = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/${REFERENCE_PROFILE_ARTIFACT}")
print(json.dumps(dict(inputs=inputs, profile=profile)))
`);
    expect(read.inputs).toHaveLength(1);
    const [input] = read.inputs;
    expect(input?.name).toBe('driver_training');
    expect(input?.digest).toBe(set.dataset.digest);
    expect(input?.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(input?.source_type).toBe('feast');
    expect(JSON.parse(input?.source ?? '')).toMatchObject({
      feast: { project: 'mlops_demo', feature_service: null, features: [...FEATURES] },
      entity_query: null,
      entity_df: { rows: 40, columns: ['driver_id', 'event_timestamp', 'label'] },
    });
    expect(JSON.parse(input?.schema ?? '')).toEqual({
      mlflow_colspec: [
        { type: 'long', name: 'driver_id', required: expect.any(Boolean) },
        { type: 'datetime', name: 'event_timestamp', required: expect.any(Boolean) },
        { type: 'boolean', name: 'label', required: expect.any(Boolean) },
        { type: 'float', name: 'conv_rate', required: false },
        { type: 'float', name: 'acc_rate', required: false },
        { type: 'long', name: 'avg_daily_trips', required: false },
      ],
    });
    expect(JSON.parse(input?.profile ?? '')).toEqual({ num_rows: 40, num_elements: 240 });
    expect(input?.tags).toEqual({ 'mlflow.data.context': 'training' });
    expect(read.profile).toEqual(JSON.parse(JSON.stringify(set.profile)));

    // The same data gives the same digest; other data another.
    const again = await buildTrainingSet(platform, { features: FEATURES, entityDf: entityRows(40) });
    expect(again.dataset.digest).toBe(set.dataset.digest);
    expect(again.runId).toBeUndefined();
    const other = await buildTrainingSet(platform, { features: FEATURES, entityDf: entityRows(39) });
    expect(other.dataset.digest).not.toBe(set.dataset.digest);
  }, 120_000);

  it('records an entity SQL query and a feature service in the source, through an ActiveRun', async () => {
    const experiment = unique('mlops_platform_trainset_sql');
    const query =
      'SELECT driver_id, customer_id, event_timestamp FROM driver_customer_stats ORDER BY driver_id, customer_id LIMIT 12';
    const set = await platform.mlflow.withRun({ experimentName: experiment }, (run) =>
      buildTrainingSet(platform, { featureService: 'customer_overview', entityDf: query, run }),
    );
    const experimentId = (await platform.mlflow.getExperimentByName(experiment))?.experimentId;
    if (experimentId) cleanups.push(() => platform.mlflow.deleteExperiment(experimentId));
    expect(set.dataset.name).toBe('customer_overview');
    expect(JSON.parse(set.dataset.source)).toMatchObject({
      feast: { feature_service: 'customer_overview', features: null },
      entity_query: query,
      entity_df: null,
    });
    const run = await platform.mlflow.getRun(set.runId ?? '');
    expect(run.inputs.datasetInputs.map((d) => d.dataset.digest)).toEqual([set.dataset.digest]);
    const artifacts = await platform.mlflow.listArtifacts({ runId: set.runId ?? '' }, 'drift');
    expect(artifacts.map((a) => a.path)).toEqual([REFERENCE_PROFILE_ARTIFACT]);
    expect(set.profile?.features.map((f) => f.name)).toEqual(
      expect.arrayContaining(['age', 'lifetime_value', 'segment', 'is_premium']),
    );
  }, 120_000);

  it('refuses bad input before any query, and stops at once when aborted', async () => {
    const neither = await buildTrainingSet(platform, { entityDf: entityRows(1) }).catch((e: unknown) => e);
    expect(WorkflowInputError.isInstance(neither)).toBe(true);
    expect((neither as WorkflowInputError).input).toBe('features');
    const both = await buildTrainingSet(platform, {
      features: FEATURES,
      featureService: 'x',
      entityDf: entityRows(1),
    }).catch((e: unknown) => e);
    expect((both as Error).message).toBe(
      'buildTrainingSet: give exactly one of featureService and features (view:feature references).',
    );
    const aborted = await buildTrainingSet(platform, {
      features: FEATURES,
      entityDf: entityRows(1),
      signal: AbortSignal.abort(),
    }).catch((e: unknown) => e);
    expect(AbortError.isInstance(aborted)).toBe(true);
  });
});

describe('registerModel against the MLflow registry', () => {
  async function runWithModel(): Promise<string> {
    const runId = await newRun('mlops_platform_register');
    const mlmodel = `artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n    python_version: 3.11.0\nmlflow_version: 3.18.0\nrun_id: ${runId}\n`;
    await platform.mlflow.logText({ runId }, mlmodel, 'model/MLmodel');
    return runId;
  }

  it('creates the version, waits READY, validates, and only then moves the alias', async () => {
    const name = unique('mlops_platform_model');
    cleanups.push(() => platform.mlflow.deleteRegisteredModel(name));
    const phases: string[] = [];
    const first = await registerModel(platform, {
      runId: await runWithModel(),
      artifactPath: 'model',
      name,
      alias: 'champion',
      validate: async (v) => ({ ok: v.status === 'READY', details: { auc: 0.91 } }),
      onProgress: (e) => phases.push(e.phase),
    });
    expect(first.version.version).toBe('1');
    expect(first.version.status).toBe('READY');
    expect(first.version.aliases).toEqual(['champion']);
    expect(first.aliasMoved).toBe(true);
    expect(first.previousAliasVersion).toBeUndefined();
    expect(first.validation).toEqual({ ok: true, details: { auc: 0.91 } });
    expect(phases).toEqual(
      expect.arrayContaining(['created', 'ready', 'validating', 'validated', 'alias-moved']),
    );

    // A failed validation: the version exists, the alias stays on version 1.
    const refused = await registerModel(platform, {
      runId: await runWithModel(),
      artifactPath: 'model',
      name,
      alias: 'champion',
      validate: async () => ({ ok: false, details: 'auc 0.42 < 0.8' }),
    }).catch((e: unknown) => e);
    expect(ModelValidationError.isInstance(refused)).toBe(true);
    const error = refused as ModelValidationError;
    expect(error.version).toBe('2');
    expect(error.aliasVersion).toBe('1');
    expect(error.message).toBe(
      `registerModel: ${name} version 2 was registered but the validation failed: auc 0.42 < 0.8. The alias champion was not moved (it still points to version 1).`,
    );
    // A validation that throws is a failure too.
    const threw = await registerModel(platform, {
      runId: await runWithModel(),
      artifactPath: 'model',
      name,
      alias: 'champion',
      validate: async () => {
        throw new Error('holdout unreadable');
      },
    }).catch((e: unknown) => e);
    expect(ModelValidationError.isInstance(threw)).toBe(true);
    expect((threw as Error).message).toContain('the validation threw: holdout unreadable');

    // MLflow Python agrees on where the alias is, and sees the refused versions registered.
    const seen = await python<{ alias: string; versions: string[] }>(`
import json
from mlflow import MlflowClient
c = MlflowClient()
print(json.dumps(dict(alias=c.get_model_version_by_alias(${JSON.stringify(name)}, "champion").version,
  versions=sorted(v.version for v in c.search_model_versions("name = '${name}'")))))
`);
    expect(seen).toEqual({ alias: '1', versions: ['1', '2', '3'] });

    // A validated version 4 moves it, reporting where it was.
    const fourth = await registerModel(platform, {
      runId: await runWithModel(),
      artifactPath: 'model',
      name,
      alias: 'champion',
      validate: async () => true,
    });
    expect(fourth).toMatchObject({ aliasMoved: true, previousAliasVersion: '1', validation: { ok: true } });
    expect((await platform.mlflow.getModelVersionByAlias(name, 'champion')).version).toBe('4');
  }, 120_000);

  it('registers an MLflow 3 logged model of the run from its models:/m-… source, as Python sees it', async () => {
    const experimentId = await platform.mlflow.createExperiment(unique('mlops_platform_logged'));
    cleanups.push(() => platform.mlflow.deleteExperiment(experimentId));
    const runId = (await platform.mlflow.createRun(experimentId)).info.runId;
    // What log_model(name='ranker') does in MLflow 3: a logged model of the run, its files, finalized.
    const logged = await platform.mlflow.createLoggedModel(experimentId, {
      name: 'ranker',
      sourceRunId: runId,
    });
    await platform.mlflow.logText(
      { loggedModelId: logged.modelId },
      `artifact_path: ranker\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nmodel_id: ${logged.modelId}\nmlflow_version: 3.18.0\n`,
      'MLmodel',
    );
    await platform.mlflow.finalizeLoggedModel(logged.modelId, 'LOGGED_MODEL_READY');
    const name = unique('mlops_platform_logged_model');
    cleanups.push(() => platform.mlflow.deleteRegisteredModel(name));
    const result = await registerModel(platform, { runId, artifactPath: 'ranker', name, alias: 'champion' });
    const seen = await python<{ source: string; model_id: string; run_id: string }>(`
import json
from mlflow import MlflowClient
v = MlflowClient().get_model_version_by_alias(${JSON.stringify(name)}, "champion")
print(json.dumps(dict(source=v.source, model_id=v.model_id, run_id=v.run_id)))
`);
    // The platform's MLflow 3.18 keeps no model_id on a version made over REST (Python's create_model_version
    // and register_model alike): the source is what links the version to the logged model.
    expect(seen).toEqual({ source: `models:/${logged.modelId}`, model_id: null, run_id: runId });
    expect(result.version).toMatchObject({
      version: '1',
      source: `models:/${logged.modelId}`,
      runId,
      aliases: ['champion'],
    });
  }, 120_000);

  it('a version that stays PENDING is a WorkflowTimeoutError, a FAILED one a ModelRegistrationError (stubbed MLflow)', async () => {
    const answering =
      (status: string): typeof fetch =>
      async (input, init) => {
        const url = new Request(input, init).url;
        const body = url.includes('/model-versions/get')
          ? { model_version: { name: 'm', version: '3', status, status_message: 'artifacts unreadable' } }
          : {};
        return new Response(JSON.stringify(body), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      };
    await using pending = createPlatform({ global: { fetch: answering('PENDING_REGISTRATION') } });
    const phases: string[] = [];
    const timedOut = await promoteModelVersion(pending, {
      name: 'm',
      version: 3,
      alias: 'champion',
      timeoutMs: 300,
      pollIntervalMs: 50,
      onProgress: (e) => phases.push(e.phase),
    }).catch((e: unknown) => e);
    expect(WorkflowTimeoutError.isInstance(timedOut)).toBe(true);
    expect((timedOut as WorkflowTimeoutError).lastSeen).toBe('PENDING_REGISTRATION');
    expect((timedOut as Error).message).toContain('no alias was moved');
    expect(phases.every((p) => p === 'waiting')).toBe(true);
    await using failed = createPlatform({ global: { fetch: answering('FAILED_REGISTRATION') } });
    const refused = await promoteModelVersion(failed, { name: 'm', version: '3', alias: 'champion' }).catch(
      (e: unknown) => e,
    );
    expect(ModelRegistrationError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toBe(
      'registerModel: MLflow could not register m version 3: artifacts unreadable. No alias was moved; check the source artifacts and register again.',
    );
  });

  it('refuses bad input with the argument named', async () => {
    const error = await registerModel(platform, {
      runId: 'r',
      artifactPath: 'model',
      name: '',
      alias: 'x',
    }).catch((e: unknown) => e);
    expect(WorkflowInputError.isInstance(error)).toBe(true);
    expect((error as WorkflowInputError).input).toBe('name');
    const alias = await registerModel(platform, {
      runId: 'r',
      artifactPath: 'model',
      name: 'm',
      alias: '1st',
    }).catch((e: unknown) => e);
    expect((alias as WorkflowInputError).input).toBe('alias');
  });
});

describe('runPipeline and deployDag against Airflow', () => {
  it('triggers, reports task states, and gives the leaf XComs', async () => {
    const phases: string[] = [];
    const result = await runPipeline(platform, 'xcom_example', {
      conf: { n: 5 },
      onProgress: (e) => phases.push(e.phase),
    });
    expect(result.finished).toBe(true);
    expect(result.run.state).toBe('success');
    // xcom_example sums range(n).
    expect(result.xcoms).toEqual({ total: 10 });
    expect(phases[0]).toBe('triggered');
    expect(phases).toContain('tasks');
    expect(phases.at(-1)).toBe('done');
  }, 240_000);

  it('names the failing task and its log tail when the run fails', async () => {
    const error = await runPipeline(platform, 'always_fails', { logTailLines: 50 }).catch((e: unknown) => e);
    expect(DagRunFailedError.isInstance(error)).toBe(true);
    const failed = error as DagRunFailedError;
    expect(failed.failedTasks.map((t) => t.taskId)).toEqual(['fail']);
    expect(failed.failedTasks[0]?.logTail.join('\n')).toContain('this task fails on purpose');
  }, 240_000);

  it('ends a wait at once when the platform global.signal aborts, with an AbortError', async () => {
    const controller = new AbortController();
    await using aborting = createPlatform({ global: { signal: controller.signal } });
    let aborted = 0;
    const started = performance.now();
    const outcome = await runPipeline(aborting, 'xcom_example', {
      conf: { n: 2 },
      onProgress: (e) => {
        if (e.phase === 'triggered') {
          aborted = performance.now();
          controller.abort();
        }
      },
    }).catch((e: unknown) => e);
    expect(AbortError.isInstance(outcome), String(outcome)).toBe(true);
    expect(performance.now() - aborted).toBeLessThan(1000);
    expect(aborted).toBeGreaterThan(started);
  }, 60_000);

  it('only triggers with wait: false', async () => {
    const result = await runPipeline(platform, 'xcom_example', { wait: false, conf: { n: 1 } });
    expect(result.finished).toBe(false);
    expect(['queued', 'running', 'success']).toContain(result.run.state);
    await platform.airflow.dagRuns.wait(result.run, { timeout: 120_000 });
  }, 240_000);

  it('deploys a new DAG, redeploys a change, and rolls back a file that does not import', async () => {
    const folder = dagsFolder();
    const dagId = unique('mlops_platform_deploy');
    const local = join(tmpdir(), `${dagId}.py`);
    cleanups.push(() => rmSync(join(folder, `${dagId}.py`), { force: true }));
    cleanups.push(() => rmSync(local, { force: true }));

    writeFileSync(local, dagSource(dagId, 1));
    const first = await deployDag(platform, local, { dagsFolder: folder, timeoutMs: 150_000 });
    expect(first.dagId).toBe(dagId);
    expect(first.previousVersion).toBeUndefined();
    expect(readFileSync(first.path, 'utf8')).toBe(dagSource(dagId, 1));
    expect((await runPipeline(platform, dagId)).xcoms).toEqual({ answer: { value: 1 } });

    writeFileSync(local, dagSource(dagId, 2));
    const phases: string[] = [];
    const second = await deployDag(platform, local, {
      dagsFolder: folder,
      timeoutMs: 150_000,
      onProgress: (e) => phases.push(e.phase),
    });
    expect(second.previousVersion).toBe(first.version.version_number);
    // Airflow 3.3 may keep the version number (it updates a version in place): what runs is what counts.
    expect(second.version.version_number).toBeGreaterThanOrEqual(first.version.version_number);
    expect(phases).toEqual(['copied', 'reparse-requested', 'waiting', 'deployed']);
    expect(await platform.airflow.dags.source(dagId)).toBe(dagSource(dagId, 2));
    expect((await runPipeline(platform, dagId)).xcoms).toEqual({ answer: { value: 2 } });

    writeFileSync(local, `${dagSource(dagId, 3)}\nthis is not python(\n`);
    const broken = await deployDag(platform, local, { dagsFolder: folder, timeoutMs: 150_000 }).catch(
      (e: unknown) => e,
    );
    expect(DagImportError.isInstance(broken)).toBe(true);
    expect((broken as DagImportError).stackTrace).toContain('SyntaxError');
    // The good file is back in the folder.
    expect(readFileSync(join(folder, `${dagId}.py`), 'utf8')).toBe(dagSource(dagId, 2));
  }, 480_000);

  it('times out on a DAG that never shows up, and removes the new file', async () => {
    const folder = dagsFolder();
    const fileId = unique('mlops_platform_never');
    const local = join(tmpdir(), `${fileId}.py`);
    writeFileSync(local, dagSource(fileId, 1));
    cleanups.push(() => rmSync(local, { force: true }));
    cleanups.push(() => rmSync(join(folder, `${fileId}.py`), { force: true }));
    const phases: string[] = [];
    const error = await deployDag(platform, local, {
      dagsFolder: folder,
      dagId: `${fileId}_not_in_the_file`,
      timeoutMs: 2000,
      onProgress: (e) => phases.push(e.phase),
    }).catch((e: unknown) => e);
    expect(AirflowWaitTimeoutError.isInstance(error)).toBe(true);
    expect(phases).toEqual(['copied', 'waiting', 'rolled-back']);
    expect(existsSync(join(folder, `${fileId}.py`))).toBe(false);
  }, 60_000);

  it('asks for the DAG id when the file does not say it, and for a DAG folder that exists', async () => {
    const local = join(tmpdir(), `${unique('mlops_platform_noid')}.py`);
    writeFileSync(local, 'print("no dag here")\n');
    cleanups.push(() => rmSync(local, { force: true }));
    const noId = await deployDag(platform, local, { dagsFolder: dagsFolder() }).catch((e: unknown) => e);
    expect((noId as WorkflowInputError).input).toBe('dagId');
    const noFolder = await deployDag(platform, local, { dagId: 'x', dagsFolder: '/nonexistent/dags' }).catch(
      (e: unknown) => e,
    );
    expect((noFolder as Error).message).toBe('deployDag: the DAG folder /nonexistent/dags does not exist.');
  });
});
