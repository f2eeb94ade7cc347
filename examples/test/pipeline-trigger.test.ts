import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main as pipelineTrigger } from '../src/pipeline-trigger';

// The real feature_pipeline DAG on the platform's Airflow (platform up airflow), with a run id of this test's own.
describe('pipeline-trigger', () => {
  it('runs feature_pipeline to success and finds its rows in the online store', {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const runId = `examples_pipeline_${randomUUID().slice(0, 8)}`;
    const lines: string[] = [];
    const result = await pipelineTrigger({
      repoPath: fileURLToPath(new URL('../../platform/feast', import.meta.url)),
      runId,
      log: (line) => lines.push(line),
    });
    expect(result.runId).toBe(runId);
    expect(result.state).toBe('success');
    expect(result.tasks).toEqual({ write_offline_features: 'success', materialize: 'success' });
    expect(result.written.rows).toBe(3);
    expect(result.written.driver_ids).toEqual([2001, 2002, 2003]);
    // Live task states were printed as they changed, ending with the materialize task's success.
    expect(lines).toContain('  materialize: running → success');
    // What the run wrote is online now (or something newer, from another run of the same DAG meanwhile).
    const written = Date.parse(result.written.event_timestamp);
    expect(written).toBeGreaterThanOrEqual(started - 1000);
    for (const id of [2001, 2002, 2003]) {
      expect(result.online[id]!.getTime()).toBeGreaterThanOrEqual(Math.floor(written / 1000) * 1000);
    }
  });
});
