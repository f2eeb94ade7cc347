// The serving workflow against the real platform: a model trained by platform/training/train.py on a real
// training set (Feast's offline store), registered in MLflow, served by createPredictor with online features
// from Redis on onnxruntime-node, checked against onnxruntime in Python on the same inputs.
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { profileFrom } from '@mlops/metrics';
import { type Table, tableFromArrays } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createPlatform,
  createPredictor,
  createServingApp,
  errorAnswer,
  FeatureMismatchError,
  MissingFeatureValuesError,
  ModelLoadError,
  ModelRuntimeUnavailableError,
  type Platform,
  type PredictorEvent,
  ServingDeadlineError,
  ServingInputError,
  SignatureValidationError,
  UnsupportedModelFlavorError,
} from '../src/index';
import { SERVING_METRICS_PORT } from '../src/serving';
import { deadUrl, feastRepo } from './support/platform';
import {
  DRIVER_FEATURES,
  driverTrainingSet,
  pythonOnnxPredict,
  requireTrainingVenv,
  runSuffix,
  seedOnlineDrivers,
  type TrainOutput,
  train,
  waitForFreePort,
  writeArrow,
} from './support/serving';

const modelName = `serving-test-${runSuffix}`;
const badModelName = `serving-test-bad-${runSuffix}`;
const experiment = `serving-test-${runSuffix}`;
const features = [...DRIVER_FEATURES];

let platform: Platform;
let table: Table;
let trainedA: TrainOutput; // logistic regression, drift profile on its run: version 1, alias champion
let trainedB: TrainOutput; // random forest: version 2, no alias yet

async function waitReady(name: string, version: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const mv = await platform.mlflow.getModelVersion(name, version);
    if (mv.status === 'READY') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} v${version} never became READY`);
}

beforeAll(async () => {
  requireTrainingVenv();
  platform = createPlatform({ feast: { repoPath: feastRepo } });
  table = await driverTrainingSet(platform);
  expect(table.numRows).toBe(280);
  const file = await writeArrow(table);

  // Model A's run carries the training set's drift reference profile, as buildTrainingSet logs it.
  const experimentId = await platform.mlflow.createExperiment(experiment);
  const run = await platform.mlflow.createRun(experimentId, { runName: 'logistic' });
  const profile = profileFrom(table, { features: ['conv_rate', 'acc_rate', 'avg_daily_trips'] });
  await platform.mlflow.logDict({ runId: run.info.runId }, { ...profile }, 'drift/reference-profile.json');

  // The same training set with avg_daily_trips cast to float64: its signature says double, Feast serves int64.
  const cast = tableFromArrays({
    conv_rate: table.getChild('conv_rate')!.toArray() as Float32Array,
    acc_rate: table.getChild('acc_rate')!.toArray() as Float32Array,
    avg_daily_trips: Float64Array.from(table.getChild('avg_daily_trips')!.toArray() as BigInt64Array, Number),
  });
  const castFile = await writeArrow(cast, 'train-cast.arrow');

  const common = ['--input', file, '--derive-label', '--tracking-uri', 'http://127.0.0.1:5000'];
  [trainedA, trainedB] = await Promise.all([
    train([...common, '--run-id', run.info.runId]),
    train([...common, '--experiment', experiment, '--model', 'random_forest', '--run-name', 'forest']),
    train([
      '--input',
      castFile,
      '--derive-label',
      '--experiment',
      experiment,
      '--register',
      badModelName,
      '--alias',
      'champion',
    ]),
  ]);
  // Versions in a known order: A is 1 (champion), B is 2.
  await platform.mlflow.createRegisteredModel(modelName);
  for (const t of [trainedA, trainedB]) {
    const mv = await platform.mlflow.createModelVersion(modelName, t.model_uri, { modelId: t.model_id });
    await waitReady(modelName, mv.version);
  }
  await platform.mlflow.setRegisteredModelAlias(modelName, 'champion', '1');
}, 600_000);

afterAll(async () => {
  await platform?.close();
});

describe('createPredictor', () => {
  it('serves predictions that match onnxruntime in Python on the same inputs', async () => {
    expect(trainedA.metrics['test_accuracy']).toBeGreaterThan(0.8);
    const drivers = await seedOnlineDrivers(platform, 24);
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}@champion`,
      features,
      entityKeys: ['driver_id'],
      refreshIntervalMs: 0,
    });
    expect(predictor.model).toMatchObject({
      name: modelName,
      version: '1',
      runId: trainedA.run_id,
      flavor: 'onnx',
      inputs: ['conv_rate', 'acc_rate', 'avg_daily_trips'],
      outputs: ['label', 'probabilities'],
      drift: true,
    });
    const result = await predictor.predict(drivers.map((d) => ({ driver_id: d.driver_id })));
    expect(result.model.version).toBe('1');
    expect(result.predictions).toHaveLength(24);
    // The features are the ones written, from Redis, in the signature's order.
    result.inputs.forEach((input, i) => {
      expect(input).toEqual({
        conv_rate: drivers[i]!.conv_rate,
        acc_rate: drivers[i]!.acc_rate,
        avg_daily_trips: drivers[i]!.avg_daily_trips,
      });
      expect(result.statuses[i]).toEqual({
        conv_rate: 'PRESENT',
        acc_rate: 'PRESENT',
        avg_daily_trips: 'PRESENT',
      });
    });

    const dir = await mkdtemp(join(tmpdir(), 'mlops-serving-ref-'));
    await platform.mlflow.downloadModel(`models:/${modelName}/1`, dir);
    const reference = await pythonOnnxPredict(
      join(dir, 'model.onnx'),
      result.inputs.map((r) => [Number(r['conv_rate']), Number(r['acc_rate']), Number(r['avg_daily_trips'])]),
    );
    const labels = result.predictions.map((p) => Number(p['label']));
    expect(labels).toEqual(reference.map((r) => r.label));
    expect(new Set(labels).size).toBe(2); // both classes occur: the comparison can fail
    result.predictions.forEach((p, i) => {
      const ours = p['probabilities'] as number[];
      expect(ours).toHaveLength(2);
      for (const [j, v] of ours.entries()) expect(v).toBeCloseTo(reference[i]!.probabilities[j]!, 6);
    });
    expect(typeof result.predictions[0]!['label']).toBe('bigint');
    expect(result.timings.totalMs).toBeGreaterThan(0);

    // Serving metrics, feature statuses and drift went to the kit's registry.
    const text = await predictor.metrics!.registry.metrics();
    expect(text).toContain(
      `mlops_inference_requests_total{model_name="${modelName}",model_version="1",outcome="success"} 1`,
    );
    expect(text).toContain('mlops_feature_values_total{feature_view="driver_hourly_stats"} 72');
    expect(text).toMatch(/mlops_drift_psi\{[^}]*feature="conv_rate"[^}]*model_name="serving-test-/);
  }, 60_000);

  it('refuses rows that do not fit, each with a typed error that says what was wrong', async () => {
    const [driver] = await seedOnlineDrivers(platform, 1);
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
    });
    await expect(predictor.predict([])).rejects.toSatisfy(ServingInputError.isInstance);
    const noKey = await predictor.predict([{ id: 1 }]).catch((e: unknown) => e);
    expect(ServingInputError.isInstance(noKey)).toBe(true);
    expect((noKey as ServingInputError).message).toContain('driver_id is missing');

    const unknown = await predictor
      .predict([{ driver_id: driver!.driver_id }, { driver_id: 1n }])
      .catch((e: unknown) => e);
    expect(MissingFeatureValuesError.isInstance(unknown)).toBe(true);
    expect((unknown as MissingFeatureValuesError).missing[0]).toEqual({
      row: 1,
      column: 'conv_rate',
      status: 'NOT_FOUND',
    });

    // The model trained on a float64 cast of avg_daily_trips: its signature wants a double, Feast serves int64.
    await using bad = await createPredictor(platform, {
      model: `models:/${badModelName}@champion`,
      features,
      entityKeys: ['driver_id'],
    });
    const mismatch = await bad.predict([{ driver_id: driver!.driver_id }]).catch((e: unknown) => e);
    expect(SignatureValidationError.isInstance(mismatch)).toBe(true);
    expect((mismatch as SignatureValidationError).issues[0]).toMatchObject({
      row: 0,
      column: 'avg_daily_trips',
      expected: 'double',
    });
  }, 60_000);

  it('batches concurrent calls into one read and one run, and a bad call fails alone', async () => {
    const drivers = await seedOnlineDrivers(platform, 6);
    await using batched = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
    });
    await using alone = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
      batching: false,
      metrics: false,
    });
    // Same event-loop turn: one batch, one online read; the call for an unknown id fails alone.
    const calls = [
      batched.predict([{ driver_id: drivers[0]!.driver_id }, { driver_id: drivers[1]!.driver_id }]),
      batched.predict([{ driver_id: 1n }]),
      batched.predict([{ driver_id: drivers[2]!.driver_id }]),
      batched.predict([{ driver_id: drivers[3]!.driver_id }, { driver_id: drivers[4]!.driver_id }]),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(MissingFeatureValuesError.isInstance((settled[1] as PromiseRejectedResult).reason)).toBe(true);
    const fetches = /mlops_feature_fetch_duration_seconds_count\{[^}]*outcome="success"\} (\d+)/;
    expect(fetches.exec(await batched.metrics!.registry.metrics())?.[1]).toBe('1');
    // Each call got its own rows' answers: the same as each call made alone.
    for (const [i, rows] of [
      [0, [drivers[0]!, drivers[1]!]],
      [2, [drivers[2]!]],
      [3, [drivers[3]!, drivers[4]!]],
    ] as const) {
      const mine = (settled[i] as PromiseFulfilledResult<Awaited<(typeof calls)[0]>>).value;
      const single = await alone.predict(rows.map((d) => ({ driver_id: d.driver_id })));
      expect(mine.predictions).toEqual(single.predictions);
      expect(mine.inputs.map((r) => r['avg_daily_trips'])).toEqual(rows.map((d) => d.avg_daily_trips));
    }
    // A key Feast refuses (a string for the int64 key) fails the batch's read: each call then goes alone.
    const [good, bad] = await Promise.allSettled([
      batched.predict([{ driver_id: drivers[5]!.driver_id }]),
      batched.predict([{ driver_id: 'not-an-int64' }]),
    ]);
    expect(good.status).toBe('fulfilled');
    expect((bad as PromiseRejectedResult).reason).toMatchObject({ name: 'InvalidFeatureRequestError' });
  }, 60_000);

  it('takes an input the features lack from the request row, and names inputs found nowhere', async () => {
    const [driver] = await seedOnlineDrivers(platform, 1);
    const partial = features.filter((f) => !f.endsWith(':avg_daily_trips'));
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features: partial,
      entityKeys: ['driver_id'],
    });
    // avg_daily_trips comes with the request (a request-time field), the rest from Redis.
    const viaRequest = await predictor.predict([{ driver_id: driver!.driver_id, avg_daily_trips: 777n }]);
    expect(viaRequest.inputs[0]).toEqual({
      conv_rate: driver!.conv_rate,
      acc_rate: driver!.acc_rate,
      avg_daily_trips: 777n,
    });
    expect(viaRequest.statuses[0]).toEqual({ conv_rate: 'PRESENT', acc_rate: 'PRESENT' });

    await using lacking = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features: partial,
      entityKeys: ['driver_id'],
    });
    const nowhere = await lacking.predict([{ driver_id: driver!.driver_id }]).catch((e: unknown) => e);
    expect(FeatureMismatchError.isInstance(nowhere)).toBe(true);
    expect((nowhere as FeatureMismatchError).columns).toEqual(['avg_daily_trips']);
    expect(errorAnswer(nowhere).status).toBe(500);
  }, 60_000);

  it('names the package to install when the runtime is missing, and refuses flavors it cannot run', async () => {
    const missing = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
      onnxRuntime: () => import(/* @vite-ignore */ `onnxruntime-node-not-installed-${runSuffix}`),
    }).catch((e: unknown) => e);
    expect(ModelRuntimeUnavailableError.isInstance(missing)).toBe(true);
    expect((missing as ModelRuntimeUnavailableError).packageName).toBe('onnxruntime-node');
    expect((missing as Error).message).toContain('npm install onnxruntime-node');

    // A real logged model of the sklearn flavor only (its MLmodel as MLflow writes it).
    const experimentId = (await platform.mlflow.getExperimentByName(experiment))!.experimentId;
    const logged = await platform.mlflow.createLoggedModel(experimentId, {
      name: 'sklearn-only',
      modelType: 'sklearn',
    });
    const dir = await mkdtemp(join(tmpdir(), 'mlops-sklearn-'));
    await writeFile(
      join(dir, 'MLmodel'),
      [
        `artifact_path: mlflow-artifacts:/${experimentId}/models/${logged.modelId}/artifacts`,
        'flavors:',
        '  python_function:',
        '    loader_module: mlflow.sklearn',
        '    model_path: model.pkl',
        '    python_version: 3.11.7',
        '  sklearn:',
        '    pickled_model: model.pkl',
        '    serialization_format: cloudpickle',
        '    sklearn_version: 1.9.1',
        'mlflow_version: 3.18.0',
        `model_id: ${logged.modelId}`,
        `model_uuid: ${logged.modelId}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'model.pkl'), 'not used');
    await platform.mlflow.logArtifacts({ loggedModelId: logged.modelId }, dir);
    await platform.mlflow.finalizeLoggedModel(logged.modelId, 'LOGGED_MODEL_READY');
    const unsupported = await createPredictor(platform, {
      model: `models:/${logged.modelId}`,
      features,
      entityKeys: ['driver_id'],
    }).catch((e: unknown) => e);
    expect(UnsupportedModelFlavorError.isInstance(unsupported)).toBe(true);
    expect((unsupported as UnsupportedModelFlavorError).flavors).toEqual(['python_function', 'sklearn']);
    expect((unsupported as Error).message).toContain('mlflow.onnx.log_model');

    // An alias moved to a version that cannot run here: the current version keeps serving, and the refused
    // version is not downloaded again at every check.
    const mixed = `serving-test-mixed-${runSuffix}`;
    await platform.mlflow.createRegisteredModel(mixed);
    await platform.mlflow.createModelVersion(mixed, trainedA.model_uri, { modelId: trainedA.model_id });
    await platform.mlflow.createModelVersion(mixed, `models:/${logged.modelId}`, { modelId: logged.modelId });
    await waitReady(mixed, '1');
    await waitReady(mixed, '2');
    await platform.mlflow.setRegisteredModelAlias(mixed, 'live', '1');
    const events: PredictorEvent[] = [];
    await using predictor = await createPredictor(platform, {
      model: `models:/${mixed}@live`,
      features,
      entityKeys: ['driver_id'],
      refreshIntervalMs: 50,
      onEvent: (e) => events.push(e),
    });
    await platform.mlflow.setRegisteredModelAlias(mixed, 'live', '2');
    const until = Date.now() + 20_000;
    while (!events.some((e) => e.type === 'refresh-failed') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500)); // ~10 more checks
    const failed = events.filter((e) => e.type === 'refresh-failed');
    expect(failed).toHaveLength(1);
    expect(UnsupportedModelFlavorError.isInstance((failed[0] as { error: unknown }).error)).toBe(true);
    expect(predictor.model.version).toBe('1');
    const [driver] = await seedOnlineDrivers(platform, 1);
    expect((await predictor.predict([{ driver_id: driver!.driver_id }])).model.version).toBe('1');
  }, 60_000);

  it('swaps the model when the alias moves mid-traffic, failing no request', async () => {
    const alias = `live-${runSuffix}`.replace(/[^a-z0-9_-]/gi, '_');
    await platform.mlflow.setRegisteredModelAlias(modelName, alias, '1');
    const drivers = await seedOnlineDrivers(platform, 8);
    const events: PredictorEvent[] = [];
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}@${alias}`,
      features,
      entityKeys: ['driver_id'],
      refreshIntervalMs: 100,
      deadlineMs: 10_000,
      onEvent: (e) => events.push(e),
    });
    expect(predictor.model.version).toBe('1');
    const seen = new Map<string, number>();
    const failures: unknown[] = [];
    let swappedAt = -1;
    let done = 0;
    let stop = false;
    const worker = async (w: number) => {
      while (!stop) {
        try {
          const r = await predictor.predict([{ driver_id: drivers[w % drivers.length]!.driver_id }]);
          seen.set(r.model.version, (seen.get(r.model.version) ?? 0) + 1);
        } catch (error) {
          failures.push(error);
        }
        done++;
      }
    };
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    while (done < 50) await new Promise((r) => setTimeout(r, 10));
    await platform.mlflow.setRegisteredModelAlias(modelName, alias, '2');
    const until = Date.now() + 60_000;
    while (predictor.model.version !== '2' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    swappedAt = done;
    while (done < swappedAt + 50) await new Promise((r) => setTimeout(r, 10));
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(predictor.model.version).toBe('2');
    expect(seen.get('1')).toBeGreaterThan(0);
    expect(seen.get('2')).toBeGreaterThan(0);
    const types = events.map((e) => e.type);
    expect(types).toContain('swapped');
    // Version 1's session is released once its last call ended, after the swap.
    const releasedBy = Date.now() + 10_000;
    while (!events.some((e) => e.type === 'released') && Date.now() < releasedBy)
      await new Promise((r) => setTimeout(r, 20));
    const released = events.findIndex((e) => e.type === 'released');
    expect(events[released]).toMatchObject({ type: 'released', model: { version: '1' } });
    expect(released).toBeGreaterThan(types.indexOf('swapped'));
  }, 120_000);

  it('ends a call within its deadline with ServingDeadlineError, and the next call with room succeeds', async () => {
    const [driver] = await seedOnlineDrivers(platform, 1);
    const ort = await import('onnxruntime-node');
    // The real onnxruntime, with each run held 400 ms (a model slower than the deadline).
    const slow = {
      Tensor: ort.Tensor,
      InferenceSession: {
        async create(path: string, options?: Record<string, unknown>) {
          const session = await ort.InferenceSession.create(path, options ?? {});
          return {
            inputNames: session.inputNames,
            outputNames: session.outputNames,
            inputMetadata: session.inputMetadata,
            async run(feeds: Parameters<typeof session.run>[0]) {
              await new Promise((r) => setTimeout(r, 400));
              return session.run(feeds);
            },
            release: () => session.release(),
          };
        },
      },
    };
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
      onnxRuntime: async () => slow,
    });
    const started = performance.now();
    const late = await predictor
      .predict([{ driver_id: driver!.driver_id }], { deadlineMs: 150 })
      .catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(ServingDeadlineError.isInstance(late)).toBe(true);
    expect((late as ServingDeadlineError).phase).toBe('model');
    expect(took).toBeLessThan(400);
    // With room, the same call succeeds.
    const ok = await predictor.predict([{ driver_id: driver!.driver_id }], { deadlineMs: 5_000 });
    expect(ok.predictions).toHaveLength(1);
    const text = await predictor.metrics!.registry.metrics();
    expect(text).toMatch(/mlops_inference_requests_total\{[^}]*outcome="timeout"\} 1/);
  }, 60_000);

  it('MLflow unreachable at start: a typed error within the load deadline, never a hang', async () => {
    // Nothing listens: the connection is refused (after the client's retries).
    await using dead = createPlatform({ feast: { repoPath: feastRepo }, mlflow: { trackingUri: deadUrl } });
    let started = performance.now();
    const refused = await createPredictor(dead, {
      model: `models:/${modelName}@champion`,
      features,
      entityKeys: ['driver_id'],
      loadTimeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5_500);
    expect(ModelLoadError.isInstance(refused) || ServingDeadlineError.isInstance(refused)).toBe(true);
    if (ModelLoadError.isInstance(refused)) expect(refused.phase).toBe('resolve');

    // A server that accepts and never answers: the load deadline ends it.
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const port = (blackHole.address() as { port: number }).port;
    try {
      await using silent = createPlatform({
        feast: { repoPath: feastRepo },
        mlflow: { trackingUri: `http://127.0.0.1:${port}` },
      });
      started = performance.now();
      const hung = await createPredictor(silent, {
        model: `models:/${modelName}@champion`,
        features,
        entityKeys: ['driver_id'],
        loadTimeoutMs: 1_500,
      }).catch((e: unknown) => e);
      const took = performance.now() - started;
      expect(ServingDeadlineError.isInstance(hung)).toBe(true);
      expect((hung as ServingDeadlineError).phase).toBe('load');
      expect(took).toBeGreaterThanOrEqual(1_400);
      expect(took).toBeLessThan(2_500);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackHole.close(r));
    }
  }, 30_000);
});

describe('faults', () => {
  it('Redis unreachable: every call ends within its deadline with a typed error, and the app answers 503/504', async () => {
    // The platform's Feast repo, its online store pointed at a port where nothing listens.
    const repo = await mkdtemp(join(tmpdir(), 'mlops-serving-deadredis-'));
    const yaml = readFileSync(join(feastRepo, 'feature_store.yaml'), 'utf8')
      .replace(
        'path: ../.state/data/feast/registry.db',
        `path: ${join(feastRepo, '../.state/data/feast/registry.db')}`,
      )
      .replace('connection_string: "127.0.0.1:6379"', 'connection_string: "127.0.0.1:1"');
    expect(yaml).toContain('127.0.0.1:1"');
    await writeFile(join(repo, 'feature_store.yaml'), yaml);
    await using broken = createPlatform({ feast: { repoPath: repo } });
    await using predictor = await createPredictor(broken, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
      deadlineMs: 1_500,
    });
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => predictor.predict([{ driver_id: 1001 + i }])),
    );
    const took = performance.now() - started;
    expect(took).toBeLessThan(2_500);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const reason = (o as PromiseRejectedResult).reason as Error;
      expect(['ServingDeadlineError', 'ConnectionError']).toContain(reason.name);
    }
    const res = await createServingApp(predictor).fetch(
      new Request('http://serving.test/predict', { method: 'POST', body: '{"rows":[{"driver_id":1001}]}' }),
    );
    expect([503, 504]).toContain(res.status);
    const body = (await res.json()) as { error: { name: string; message: string } };
    expect(body.error.message.length).toBeGreaterThan(20);
  }, 60_000);
});

describe('createServingApp', () => {
  it('answers /predict with exact int64 ids, errors as JSON with their status, /health and /metrics', async () => {
    const drivers = await seedOnlineDrivers(platform, 3);
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
    });
    const app = createServingApp(predictor, { includeInputs: true });
    await using server = await app.listen(0);

    // The id is past 2^53 and goes in and out as a JSON number, digit for digit.
    const id = drivers[0]!.driver_id.toString();
    const body = `{"rows":[{"driver_id":${id}},{"driver_id":${drivers[1]!.driver_id}}]}`;
    const viaNode = await fetch(`${server.url}/predict`, { method: 'POST', body });
    expect(viaNode.status).toBe(200);
    const text = await viaNode.text();
    const direct = await predictor.predict(drivers.slice(0, 2).map((d) => ({ driver_id: d.driver_id })));
    expect(text).toContain(`"avg_daily_trips":${drivers[0]!.avg_daily_trips}`);
    const answer = JSON.parse(text) as {
      predictions: Array<{ label: number; probabilities: number[] }>;
      model: { version: string };
    };
    expect(answer.model.version).toBe('1');
    expect(answer.predictions.map((p) => p.label)).toEqual(direct.predictions.map((p) => Number(p['label'])));

    // The fetch handler gives the same answer.
    const viaFetch = await app.fetch(new Request('http://serving.test/predict', { method: 'POST', body }));
    expect(viaFetch.status).toBe(200);
    const fetched = (await viaFetch.json()) as typeof answer;
    expect(fetched.predictions).toEqual(answer.predictions);

    const cases: Array<[string, number, string]> = [
      ['not json', 400, 'ServingInputError'],
      ['{"rows":[{"id":1}]}', 400, 'ServingInputError'],
      ['{"rows":[{"driver_id":"1001"}]}', 400, 'InvalidFeatureRequestError'],
      ['{"rows":[{"driver_id":1}]}', 422, 'MissingFeatureValuesError'],
    ];
    for (const [input, status, name] of cases) {
      const res = await fetch(`${server.url}/predict`, { method: 'POST', body: input });
      const error = ((await res.json()) as { error: { name: string; message: string } }).error;
      expect([input, res.status, error.name]).toEqual([input, status, name]);
      expect(error.message.length).toBeGreaterThan(20);
    }
    expect((await fetch(`${server.url}/predict`)).status).toBe(405);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);

    const health = (await (await fetch(`${server.url}/health`)).json()) as {
      ready: boolean;
      model: { name: string; version: string };
    };
    expect(health).toMatchObject({ ready: true, model: { name: modelName, version: '1' } });
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain(
      `mlops_inference_requests_total{model_name="${modelName}",model_version="1",outcome="success"}`,
    );
  }, 60_000);
});

describe('Prometheus', () => {
  it("scrapes the app's /metrics on SERVING_METRICS_PORT (job serving)", async () => {
    const drivers = await seedOnlineDrivers(platform, 2);
    // A model name of this run only, so the series found can only be ours.
    await using predictor = await createPredictor(platform, {
      model: `models:/${modelName}/1`,
      features,
      entityKeys: ['driver_id'],
    });
    await waitForFreePort(SERVING_METRICS_PORT, 120_000);
    await using server = await createServingApp(predictor).listen();
    expect(server.port).toBe(9464);
    for (let i = 0; i < 5; i++)
      await fetch(`${server.url}/predict`, {
        method: 'POST',
        body: `{"rows":[{"driver_id":${drivers[i % 2]!.driver_id}}]}`,
      });
    const query = `mlops_inference_requests_total{job="serving",model_name="${modelName}",outcome="success"}`;
    let value: number | undefined;
    const until = Date.now() + 30_000;
    while (value === undefined && Date.now() < until) {
      const result = await platform.prometheus.query(query);
      if (result.resultType === 'vector' && result.result[0]?.value) value = result.result[0].value[1];
      else await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(value).toBe(5);
  }, 180_000);
});

describe('README', () => {
  it('runs the serving example as written (model name and port of this run)', async () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Serving:'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(block).toContain('createPredictor(platform, {');
    const source = block
      .replaceAll("'@mlops/platform'", JSON.stringify(resolve(import.meta.dirname, '../src/index.ts')))
      .replaceAll('driver-ranker', modelName)
      .replace('.listen()', '.listen(0)');
    const dir = await mkdtemp(join(tmpdir(), 'mlops-serving-readme-'));
    const file = join(dir, 'example.ts');
    // The server the example leaves running is handed back, to be closed here.
    await writeFile(file, `${source}\nexport { server };\n`);
    vi.stubEnv('FEAST_REPO_PATH', feastRepo);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const { server } = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
        server: { url: string; close(): Promise<void> };
      };
      try {
        const health = (await (await fetch(`${server.url}/health`)).json()) as { ready: boolean };
        // The example's `await using` closed its predictor when the module ended.
        expect(health.ready).toBe(false);
      } finally {
        await server.close();
      }
      const [version, prediction, statuses] = log.mock.calls[0] ?? [];
      expect(version).toBe('1');
      expect(typeof (prediction as { label: unknown }).label).toBe('bigint');
      expect((prediction as { probabilities: number[] }).probabilities).toHaveLength(2);
      // The seeded demo rows are older than the view's one-day TTL: values served, marked stale.
      expect(statuses).toEqual({
        conv_rate: 'OUTSIDE_MAX_AGE',
        acc_rate: 'OUTSIDE_MAX_AGE',
        avg_daily_trips: 'OUTSIDE_MAX_AGE',
      });
      expect(String(log.mock.calls[1]?.[0])).toMatch(/^serving on http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  }, 60_000);
});
