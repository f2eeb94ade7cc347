import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirflowWaitTimeoutError, type Dag, DagImportError } from '../src/index';
import { deployTempDag, sha256, tickingDagSource } from './support/dags';
import { dagsFolder, platformClient, requireAirflow, unique, writeDagFile } from './support/platform';
import { pythonReference } from './support/python';
import { rejection } from './support/rejection';

const client = platformClient();
const PLATFORM_DAGS = ['always_fails', 'feature_pipeline', 'train_on_fresh_features', 'xcom_example'];
const cleanup: Array<() => void> = [];

beforeAll(requireAirflow);
afterAll(() => {
  for (const remove of cleanup) remove();
});

describe('DAGs on the real Airflow', () => {
  it('lists every DAG with for await, as the Python client does', async () => {
    const ids: string[] = [];
    for await (const dag of client.dags.list({ tags: ['platform'] })) ids.push(dag.dag_id);
    expect(ids.sort()).toEqual(PLATFORM_DAGS);
    expect(pythonReference<string[]>('dag_ids', { tags: ['platform'] })).toEqual(ids);
    // Page by page, in dag_id order: the same DAGs.
    const paged: Dag[] = [];
    for await (const page of client.dags.list({ tags: ['platform'], order_by: ['dag_id'] }).pages())
      paged.push(...page);
    expect(paged.map((d) => d.dag_id)).toEqual(PLATFORM_DAGS);
  }, 60_000);

  it('gets a DAG, its details, its source and its versions', async () => {
    const dag = await client.dags.get('xcom_example');
    expect(dag.relative_fileloc).toBe('xcom_example.py');
    expect(dag.is_paused).toBe(false);
    const details = await client.dags.details('xcom_example');
    expect(details.params).toMatchObject({ n: { value: 5 } });
    const source = await client.dags.source('xcom_example');
    expect(source).toBe(readFileSync(`${dagsFolder()}/xcom_example.py`, 'utf8'));
    const versions = await client.dags.versions('xcom_example').toArray();
    expect(versions.length).toBeGreaterThanOrEqual(1);
    expect((await client.dags.latestVersion('xcom_example'))?.version_number).toBe(
      Math.max(...versions.map((v) => v.version_number)),
    );
  });

  it('pauses and unpauses a DAG (a temporary one: the platform DAGs are shared)', async () => {
    const temp = await deployTempDag(client, 'pause', (dagId) => tickingDagSource(dagId, 1));
    cleanup.push(temp.remove);
    expect((await client.dags.pause(temp.dagId)).is_paused).toBe(true);
    expect((await client.dags.get(temp.dagId)).is_paused).toBe(true);
    expect((await client.dags.unpause(temp.dagId)).is_paused).toBe(false);
  }, 180_000);
});

describe('deploying a DAG from CI', () => {
  it('sees a new DAG file, then a changed one after reparse, by the hash of its source', async () => {
    const dagId = unique('mlops_test_deploy');
    const first = tickingDagSource(dagId, 1);
    const file = writeDagFile(`${dagId}.py`, first);
    cleanup.push(file.remove);
    const v1 = await client.dags.waitForDagVersion(dagId, {
      sourceHash: sha256(first),
      filename: file.fileName,
      timeout: 120_000,
    });
    expect(v1.dag_id).toBe(dagId);

    const second = first.replace('tags=["mlops-test"]', 'tags=["mlops-test", "v2"]');
    writeDagFile(file.fileName, second);
    const dag = await client.dags.get(dagId);
    await client.dags.reparse(dag.file_token);
    const v2 = await client.dags.waitForDagVersion(dagId, { sourceHash: sha256(second), timeout: 120_000 });
    expect(v2.version_number).toBeGreaterThanOrEqual(v1.version_number);
    expect(await client.dags.source(dagId)).toBe(second);
    expect((await client.dags.get(dagId)).tags.map((t) => t.name).sort()).toEqual(['mlops-test', 'v2']);

    // A version that never comes: a typed timeout naming what was awaited.
    const late = await rejection(
      client.dags.waitForDagVersion(dagId, {
        bundleVersion: 'no-such-commit',
        timeout: 1500,
        pollIntervalMs: 500,
      }),
    );
    expect(AirflowWaitTimeoutError.isInstance(late)).toBe(true);
    expect(late.message).toContain('bundle version no-such-commit');
  }, 300_000);

  it('gives the import error text for a DAG file with a syntax error', async () => {
    const dagId = unique('mlops_test_broken');
    const broken = `from airflow.sdk import DAG\n\nwith DAG(dag_id="${dagId}", schedule=None\n    oops\n`;
    const file = writeDagFile(`${dagId}.py`, broken);
    cleanup.push(file.remove);
    const error = await rejection(
      client.dags.waitForDagVersion(dagId, {
        sourceHash: sha256(broken),
        filename: file.fileName,
        timeout: 120_000,
      }),
    );
    expect(DagImportError.isInstance(error)).toBe(true);
    const importError = error as DagImportError;
    expect(importError.filename).toBe(file.fileName);
    expect(importError.stackTrace).toContain('SyntaxError');
    expect(importError.message).toContain(`DAG ${dagId}: Airflow could not import ${file.fileName}`);
    const listed = await client.dags.importErrors({ filename: file.fileName }).toArray();
    expect(listed.map((e) => e.filename)).toEqual([file.fileName]);
  }, 180_000);

  it('rejects a wait with nothing to wait for, or a hash that is not sha256, before asking Airflow', async () => {
    await expect(client.dags.waitForDagVersion('xcom_example', {})).rejects.toThrow(
      /pass bundleVersion, sourceHash/,
    );
    await expect(client.dags.waitForDagVersion('xcom_example', { sourceHash: 'abc' })).rejects.toThrow(
      /64 characters/,
    );
  });
});
