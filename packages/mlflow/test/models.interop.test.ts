// The registry, artifacts and model resolution against Python's MlflowClient on the same real server: what
// we register Python reads identically and the other way round (field by field); a scikit-learn model
// logged by Python resolves, downloads byte for byte as mlflow.artifacts.download_artifacts does, and its
// signature's zod schema accepts the input example and refuses a wrong type.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureValidationError, signatureSchema, validateInput } from '@mlops/mlflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { newClient, newRun, requireMlflow, unique } from './support/models-platform';
import { MlflowPython } from './support/models-python';

// Real server calls on a shared, loaded 2-core machine: generous per-test deadlines.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 180_000 });

const client = newClient();
let python: MlflowPython;

beforeAll(async () => {
  await requireMlflow();
  python = new MlflowPython();
  expect(await python.ready).toBe('3.18.0');
}, 120_000);
afterAll(() => python?.close());
beforeEach(requireMlflow);

/** Our object restricted to the keys Python's has (we also carry userId, deploymentJobId, metrics). */
function sameKeys<T extends object>(ours: T, theirs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(theirs).map((k) => [k, (ours as Record<string, unknown>)[k]]));
}

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else
        out[`${rel}${e.name}`] = createHash('sha256')
          .update(await readFile(join(d, e.name)))
          .digest('hex');
    }
  };
  await walk(dir, '');
  return out;
}

describe('what we register, Python reads identically', () => {
  it('registered model, versions, tags, aliases, stages and the logged model', async () => {
    const { experimentId, runId } = await newRun(client);
    const lm = await client.createLoggedModel(experimentId, {
      name: 'ts-model',
      sourceRunId: runId,
      modelType: 'sklearn',
      tags: { by: 'typescript' },
      params: { alpha: '0.5' },
    });
    await client.finalizeLoggedModel(lm.modelId, 'LOGGED_MODEL_READY');
    const name = `${unique('ts')} ?&=+ü`;
    await client.createRegisteredModel(name, {
      description: 'from ts',
      tags: { team: 'ts', 'a/b: c': 'v ?#%ü' },
    });
    await client.createModelVersion(name, `models:/${lm.modelId}`, {
      modelId: lm.modelId,
      runId,
      description: 'v1',
      tags: { q: '1' },
    });
    await client.createModelVersion(name, `models:/${lm.modelId}`, { modelId: lm.modelId });
    await client.setRegisteredModelAlias(name, 'champion', 2);
    await client.transitionModelVersionStage(name, 1, 'Staging');

    const theirsModel = await python.call<Record<string, unknown>>('read_registered_model', { name });
    expect(sameKeys(await client.getRegisteredModel(name), theirsModel)).toEqual(theirsModel);
    const theirsVersions = await python.call<Array<Record<string, unknown>>>('search_versions', { name });
    const oursVersions = await client
      .searchModelVersions({ filter: `name = '${name}'`, orderBy: ['version_number ASC'] })
      .toArray();
    expect(theirsVersions).toHaveLength(2);
    expect(oursVersions.map((v, i) => sameKeys(v, theirsVersions[i] ?? {}))).toEqual(theirsVersions);
    const theirsAlias = await python.call<Record<string, unknown>>('read_alias', { name, alias: 'champion' });
    expect(sameKeys(await client.getModelVersionByAlias(name, 'champion'), theirsAlias)).toEqual(theirsAlias);
    const theirsLm = await python.call<Record<string, unknown>>('read_logged_model', {
      model_id: lm.modelId,
    });
    expect(sameKeys(await client.getLoggedModel(lm.modelId), theirsLm)).toEqual(theirsLm);
    expect(theirsLm).toMatchObject({
      status: 'LOGGED_MODEL_READY',
      tags: { by: 'typescript' },
      params: { alpha: '0.5' },
    });
  });

  it('artifacts we upload, Python lists identically', async () => {
    const { runId } = await newRun(client);
    await client.logText(runId, 'a', 'dir/a.txt');
    await client.logDict(runId, { k: 1 }, 'dir/sub/d.json');
    await client.logArtifact(runId, new Uint8Array(5), { fileName: 'top.bin' });
    for (const path of [undefined, 'dir', 'dir/sub']) {
      const theirs = await python.call<unknown[]>('list_artifacts', { run_id: runId, path: path ?? null });
      expect(await client.listArtifacts(runId, path)).toEqual(theirs);
    }
  });
});

describe('what Python registers, we read identically', () => {
  it('registered model, versions, alias, stage, tags and the logged model', async () => {
    const { experimentId } = await newRun(client);
    const name = unique('py');
    const { modelId } = await python.call<{ modelId: string }>('write_registry', {
      name,
      experiment_id: experimentId,
    });
    const theirsModel = await python.call<Record<string, unknown>>('read_registered_model', { name });
    const ours = await client.getRegisteredModel(name);
    expect(sameKeys(ours, theirsModel)).toEqual(theirsModel);
    expect(ours).toMatchObject({
      description: 'from python',
      aliases: { champion: '2' },
      tags: { team: 'py' },
    });
    for (const version of ['1', '2']) {
      const theirs = await python.call<Record<string, unknown>>('read_model_version', { name, version });
      expect(sameKeys(await client.getModelVersion(name, version), theirs)).toEqual(theirs);
    }
    expect((await client.getModelVersion(name, 1)).currentStage).toBe('Staging');
    const theirsLm = await python.call<Record<string, unknown>>('read_logged_model', { model_id: modelId });
    expect(sameKeys(await client.getLoggedModel(modelId), theirsLm)).toEqual(theirsLm);
  });
});

describe('a scikit-learn model logged by Python', () => {
  const name = unique('sklearn');
  let logged: { runId: string; experimentId: string; modelId: string; version: string; artifactUri: string };

  beforeAll(async () => {
    logged = await python.call('log_sklearn_model', { experiment_name: unique('sk-exp'), model_name: name });
  }, 180_000);

  it('models:/<name>@champion resolves to its version, run, logged model, artifact URI and MLmodel', async () => {
    const resolved = await client.resolveModel(`models:/${name}@champion`);
    expect(resolved.modelVersion).toMatchObject({ name, version: logged.version, aliases: ['champion'] });
    expect(resolved.run).toMatchObject({ runId: logged.runId, experimentId: logged.experimentId });
    expect(resolved.loggedModel?.modelId).toBe(logged.modelId);
    expect(resolved.artifactUri).toBe(logged.artifactUri);
    expect(resolved.mlmodel.mlflowVersion).toBe('3.18.0');
    expect(resolved.mlmodel.modelId).toBe(logged.modelId);
    // MLflow 3 writes the logged model's id as the model uuid.
    expect(resolved.mlmodel.modelUuid).toBe(logged.modelId);
    expect(Object.keys(resolved.mlmodel.flavors).sort()).toEqual(['python_function', 'sklearn']);
    expect(
      resolved.mlmodel.signature?.inputs?.map((c) => [c.name, c.kind === 'column' ? c.type : c.dtype]),
    ).toEqual([
      ['sepal_length', 'double'],
      ['sepal_width', 'double'],
      ['petal_count', 'long'],
      ['region', 'string'],
    ]);
    expect(resolved.inputExampleRows).toHaveLength(3);

    // Every other form of URI for the same model lands on the same files.
    for (const uri of [
      `models:/${name}/${logged.version}`,
      `models:/${logged.modelId}`,
      `runs:/${logged.runId}/model`,
    ]) {
      const other = await client.resolveModel(uri);
      expect(other.artifactUri).toBe(logged.artifactUri);
      expect(other.mlmodel.modelUuid).toBe(resolved.mlmodel.modelUuid);
    }
    await client.transitionModelVersionStage(name, logged.version, 'Production');
    expect((await client.resolveModel(`models:/${name}/production`)).modelVersion?.version).toBe(
      logged.version,
    );
  });

  it('downloads byte for byte what mlflow.artifacts.download_artifacts downloads', async () => {
    const ours = await mkdtemp(join(tmpdir(), 'mm-ours-'));
    const theirs = await mkdtemp(join(tmpdir(), 'mm-theirs-'));
    const progress: number[] = [];
    const path = await client.downloadModel(`models:/${name}@champion`, ours, {
      onProgress: (p) => progress.push(p.bytesDone),
    });
    const pythonPath = await python.call<string>('download', {
      uri: `models:/${name}@champion`,
      dst: theirs,
    });
    const oursTree = await tree(path);
    expect(Object.keys(oursTree)).toContain('MLmodel');
    const { mlmodel } = await client.resolveModel(`models:/${name}@champion`);
    expect(Object.keys(oursTree)).toContain(mlmodel.flavors.sklearn?.pickled_model);
    expect(oursTree).toEqual(await tree(pythonPath));
    expect(progress.at(-1)).toBeGreaterThan(0);
  });

  it("its signature's zod schema accepts the input example and refuses a row with a wrong type", async () => {
    const { mlmodel, inputExampleRows } = await client.resolveModel(`models:/${name}@champion`);
    const rows = inputExampleRows as Array<Record<string, unknown>>;
    expect(validateInput(mlmodel, rows)).toHaveLength(3);
    for (const row of rows) expect(signatureSchema(mlmodel).safeParse(row).success).toBe(true);
    const error = (() => {
      try {
        validateInput(mlmodel, [rows[0], { ...rows[1], petal_count: 'three' }]);
      } catch (e) {
        return e;
      }
    })();
    expect(SignatureValidationError.isInstance(error)).toBe(true);
    expect((error as SignatureValidationError).issues).toEqual([
      {
        row: 1,
        column: 'petal_count',
        expected: 'long',
        message: 'Expected an integer (a safe integer number or a bigint), received the string "three"',
      },
    ]);
  });
});
