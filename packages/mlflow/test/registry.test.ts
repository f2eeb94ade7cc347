// The model registry on the real MLflow server: registered models, versions, tags, aliases, legacy stages,
// search iterators over page tokens, logged models, and names that must be encoded, never injected.
import { BadRequestError, ConflictError, NotFoundError } from '@mlops/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { newClient, newRun, requireMlflow, unique } from './support/models-platform';

// Real server calls on a shared, loaded 2-core machine: generous per-test deadlines.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 180_000 });

const client = newClient();
beforeEach(requireMlflow);

describe('registered models', () => {
  it('create, get, update, rename, tags and delete', async () => {
    const name = unique('rm');
    const created = await client.createRegisteredModel(name, {
      description: 'first',
      tags: { team: 'risk', 'k.with.dots': 'v' },
    });
    expect(created).toMatchObject({ name, description: 'first', tags: { team: 'risk', 'k.with.dots': 'v' } });
    expect(typeof created.creationTimestamp).toBe('number');

    await client.setRegisteredModelTag(name, 'stage', 'dev');
    await client.deleteRegisteredModelTag(name, 'team');
    const updated = await client.updateRegisteredModel(name, 'second');
    expect(updated.description).toBe('second');
    const got = await client.getRegisteredModel(name);
    expect(got.tags).toEqual({ 'k.with.dots': 'v', stage: 'dev' });
    expect(got.aliases).toEqual({});
    expect(got.latestVersions).toEqual([]);

    const renamed = await client.renameRegisteredModel(name, `${name}-renamed`);
    expect(renamed.name).toBe(`${name}-renamed`);
    await expect(client.getRegisteredModel(name)).rejects.toBeInstanceOf(NotFoundError);
    await client.deleteRegisteredModel(`${name}-renamed`);
    await expect(client.getRegisteredModel(`${name}-renamed`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creating a model twice is a ConflictError carrying RESOURCE_ALREADY_EXISTS (MLflow answers 400)', async () => {
    const name = unique('dup');
    await client.createRegisteredModel(name);
    const error = await client.createRegisteredModel(name).catch((e: unknown) => e);
    // The class follows MLflow's error_code (error-mapping.ts), not the 400 it is sent with.
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).status).toBe(400);
    expect((error as ConflictError).body).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' });
    await client.deleteRegisteredModel(name);
  });

  it('names with ? # % & = + spaces and unicode round-trip exactly; / is refused by the server, not routed', async () => {
    const name = `${unique('odd')} ?a=1&b=2#frag %2F%zz + ü 模型 🚀`;
    // Tag keys may hold `/`, `:` and spaces (MLflow refuses ?#%); values anything.
    await client.createRegisteredModel(name, { tags: { 'a/b: c.d': 'v?#%&=/ü' } });
    const got = await client.getRegisteredModel(name);
    expect(got.name).toBe(name);
    expect(got.tags).toEqual({ 'a/b: c.d': 'v?#%&=/ü' });
    const found = await client.searchRegisteredModels({ filter: `name = '${name}'` }).toArray();
    expect(found.map((m) => m.name)).toEqual([name]);
    await client.deleteRegisteredModel(name);

    const slash = await client.createRegisteredModel(`${unique('slash')}/x`).catch((e: unknown) => e);
    expect(slash).toBeInstanceOf(BadRequestError);
    expect((slash as BadRequestError).message).toContain("Names cannot contain '/'");
  });

  it('search walks every page with for await, and one page at a time', async () => {
    const prefix = unique('page');
    const names = [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`);
    for (const n of names) await client.createRegisteredModel(n);
    const walked: string[] = [];
    for await (const m of client.searchRegisteredModels({
      filter: `name LIKE '${prefix}-%'`,
      pageSize: 2,
      orderBy: ['name ASC'],
    })) {
      walked.push(m.name);
    }
    expect(walked).toEqual(names);

    const first = await client.searchRegisteredModelsPage({
      filter: `name LIKE '${prefix}-%'`,
      pageSize: 2,
      orderBy: ['name DESC'],
    });
    expect(first.items.map((m) => m.name)).toEqual([names[4], names[3]]);
    expect(typeof first.nextPageToken).toBe('string');
    const second = await client.searchRegisteredModelsPage({
      filter: `name LIKE '${prefix}-%'`,
      pageSize: 2,
      orderBy: ['name DESC'],
      pageToken: first.nextPageToken ?? '',
    });
    expect(second.items.map((m) => m.name)).toEqual([names[2], names[1]]);

    const capped = await client
      .searchRegisteredModels({ filter: `name LIKE '${prefix}-%'`, pageSize: 2, maxResults: 3 })
      .toArray();
    expect(capped).toHaveLength(3);
    for (const n of names) await client.deleteRegisteredModel(n);
  });
});

describe('model versions, aliases and stages', () => {
  it('versions from a logged model: tags, aliases, stages, download URI, search, delete', async () => {
    const { experimentId, runId } = await newRun(client);
    const lm = await client.createLoggedModel(experimentId, { name: 'clf', sourceRunId: runId });
    const name = unique('mv');
    await client.createRegisteredModel(name);
    const v1 = await client.createModelVersion(name, `models:/${lm.modelId}`, {
      runId,
      modelId: lm.modelId,
      description: 'v1',
      tags: { q: '1' },
    });
    // MLflow 3.18 keeps the logged model in `source` and does not send `model_id` back (Python reads None too).
    expect(v1).toMatchObject({ name, version: '1', description: 'v1', tags: { q: '1' }, runId });
    expect(v1.source).toBe(`models:/${lm.modelId}`);
    expect(v1.status).toBe('READY');
    const v2 = await client.createModelVersion(name, `models:/${lm.modelId}`, { runId, modelId: lm.modelId });
    expect(v2.version).toBe('2');

    await client.setModelVersionTag(name, 2, 'validated', 'yes');
    await client.deleteModelVersionTag(name, '1', 'q');
    await client.updateModelVersion(name, 1, 'first');

    await client.setRegisteredModelAlias(name, 'champion', 2);
    await client.setRegisteredModelAlias(name, 'challenger', '1');
    const champion = await client.getModelVersionByAlias(name, 'champion');
    expect(champion).toMatchObject({ version: '2', tags: { validated: 'yes' }, aliases: ['champion'] });
    expect((await client.getRegisteredModel(name)).aliases).toEqual({ champion: '2', challenger: '1' });
    await client.deleteRegisteredModelAlias(name, 'challenger');
    // MLflow 3.18 answers an unknown alias with 400 INVALID_PARAMETER_VALUE, not 404.
    const gone = await client.getModelVersionByAlias(name, 'challenger').catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(BadRequestError);
    expect((gone as BadRequestError).message).toContain('challenger');

    const staged = await client.transitionModelVersionStage(name, 1, 'Production');
    expect(staged.currentStage).toBe('Production');
    await client.transitionModelVersionStage(name, 2, 'Production', true);
    expect((await client.getModelVersion(name, 1)).currentStage).toBe('Archived');
    const latest = await client.getLatestVersions(name, ['Production']);
    expect(latest.map((v) => v.version)).toEqual(['2']);

    // A version made from a logged model is stored where the logged model's files are.
    expect(await client.getModelVersionDownloadUri(name, 2)).toBe(lm.artifactLocation);
    expect(lm.artifactLocation).toMatch(/^mlflow-artifacts:\/.*\/models\/m-[0-9a-f]{32}\/artifacts$/);

    const versions = await client
      .searchModelVersions({
        filter: `name = '${name}'`,
        orderBy: ['version_number ASC'],
        pageSize: 1,
      })
      .toArray();
    expect(versions.map((v) => [v.version, v.description])).toEqual([
      ['1', 'first'],
      ['2', ''],
    ]);

    await client.deleteModelVersion(name, 1);
    await expect(client.getModelVersion(name, 1)).rejects.toBeInstanceOf(NotFoundError);
    await client.deleteRegisteredModel(name);
  });
});

describe('logged models', () => {
  it('create, get, tags, params, finalize, search, delete', async () => {
    const { experimentId, runId } = await newRun(client);
    const created = await client.createLoggedModel(experimentId, {
      name: 'model ?#&=+ ü',
      sourceRunId: runId,
      modelType: 'sklearn',
      tags: { a: '1' },
      params: { alpha: '0.5' },
    });
    expect(created).toMatchObject({
      experimentId,
      name: 'model ?#&=+ ü',
      sourceRunId: runId,
      modelType: 'sklearn',
      status: 'LOGGED_MODEL_PENDING',
      tags: { a: '1' },
      params: { alpha: '0.5' },
    });
    expect(created.modelId).toMatch(/^m-[0-9a-f]{32}$/);

    await client.setLoggedModelTags(created.modelId, { 'key ?#%ü': 'x', 'k/slash': 'y', b: '2' });
    // The tag key travels in the URL path: encoded, so ? # % reach the server as part of the key.
    await client.deleteLoggedModelTag(created.modelId, 'key ?#%ü');
    // A '/' cannot be addressed (the server decodes %2F before routing): a clear error before any request.
    await expect(client.deleteLoggedModelTag(created.modelId, 'k/slash')).rejects.toThrow(
      /cannot be addressed over REST/,
    );
    await client.logModelParams(created.modelId, { l1: '0.1' });
    const ready = await client.finalizeLoggedModel(created.modelId, 'LOGGED_MODEL_READY');
    expect(ready.status).toBe('LOGGED_MODEL_READY');
    const got = await client.getLoggedModel(created.modelId);
    expect(got.tags).toEqual({ a: '1', 'k/slash': 'y', b: '2' });
    expect(got.params).toEqual({ alpha: '0.5', l1: '0.1' });

    const second = await client.createLoggedModel(experimentId, { name: 'other' });
    const all = await client.searchLoggedModels([experimentId], { pageSize: 1 }).toArray();
    expect(all.map((m) => m.modelId).sort()).toEqual([created.modelId, second.modelId].sort());
    const filtered = await client.searchLoggedModels([experimentId], { filter: `name = 'other'` }).toArray();
    expect(filtered.map((m) => m.modelId)).toEqual([second.modelId]);

    await client.deleteLoggedModel(second.modelId);
    await expect(client.getLoggedModel(second.modelId)).rejects.toBeInstanceOf(NotFoundError);
  });
});
