// What a whole process sees: a script that forgets `await store.close()` still exits once its work is done (idle
// Redis sockets and pooled PostgreSQL connections do not hold it open), `await using` closes the store, and an
// unreachable Redis is reported by the yaml key that names it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { FeatureStore } from '../../src/feature-store';
import { bundleScript } from '../support/bundle';
import { feastRepo, root } from '../support/platform';
import { rejection } from '../support/rejection';

const here = import.meta.dirname;

function run(file: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000, cwd: root });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

describe('the process lifetime of a FeatureStore', { timeout: 180_000 }, () => {
  it('a script that never calls close() exits after an online read and a training set', async () => {
    const file = await bundleScript(
      'no-close',
      `
import { FeatureStore } from '../../src/index';
const store = new FeatureStore({ repoPath: ${JSON.stringify(feastRepo)} });
const online = await store.getOnlineFeatures({
  features: ['driver_hourly_stats:conv_rate'],
  entityRows: [{ driver_id: 1001 }],
});
const job = await store.getHistoricalFeatures({
  entityDf: [{ driver_id: 1001, event_timestamp: '2026-01-01T00:00:00.000001Z' }],
  features: ['driver_hourly_stats:avg_daily_trips'],
});
const table = await job.toArrow();
console.log(JSON.stringify({ rows: online.rowCount, training: table.numRows }));
// no store.close()
`,
      here,
    );
    const result = run(file);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ rows: 1, training: 1 });
    // It ended by itself, not by the spawn timeout.
    expect(result.ms).toBeLessThan(60_000);
  });

  it('await using closes the store when the scope ends', async () => {
    const file = await bundleScript(
      'await-using',
      `
import { FeatureStore } from '../../src/index';
let closed = 0;
const close = FeatureStore.prototype.close;
FeatureStore.prototype.close = async function () { closed++; return close.call(this); };
{
  await using store = new FeatureStore({ repoPath: ${JSON.stringify(feastRepo)} });
  await store.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate'], entityRows: [{ driver_id: 1001 }] });
  console.log('inside', closed);
}
console.log('after', closed);
`,
      here,
    );
    const result = run(file);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(['inside 0', 'after 1']);
  });

  it('an unreachable Redis names online_store.connection_string and the yaml file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-feast-unreachable-'));
    const yaml = readFileSync(join(feastRepo, 'feature_store.yaml'), 'utf8')
      .replace(/connection_string: .*/, 'connection_string: "127.0.0.1:1"')
      .replace(/path: \.\.\/\.state/, `path: ${join(feastRepo, '../.state')}`);
    writeFileSync(join(dir, 'feature_store.yaml'), yaml);
    const store = new FeatureStore({ repoPath: dir });
    try {
      const error = await rejection(
        store.getOnlineFeatures({
          features: ['driver_hourly_stats:conv_rate'],
          entityRows: [{ driver_id: 1001 }],
        }),
      );
      expect(ConnectionError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(
        new RegExp(
          `^Could not connect to the Redis online store at 127\\.0\\.0\\.1:1 \\(.*ECONNREFUSED.*\\): the server that online_store\\.connection_string in ${join(dir, 'feature_store.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} names\\. Start Redis there, or correct online_store\\.connection_string\\.$`,
        ),
      );
    } finally {
      await store.close();
    }
  });
});
