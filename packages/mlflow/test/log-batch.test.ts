// How logBatch splits and checks, without a server: the limits are MLflow 3.18's (mlflow/utils/validation.py).
import { describe, expect, it } from 'vitest';
import { MlflowInputError } from '../src/index';
import { chunkBatch, prepareBatch } from '../src/log-batch';

const metric = (i: number) => ({ key: `m${i % 7}`, value: i, timestamp: 1_000 + i, step: i });

describe('logBatch splitting', () => {
  it('keeps every kind in order and each request within 1,000 metrics, 100 params, 100 tags, 1,000 entities', () => {
    const batch = prepareBatch({
      metrics: Array.from({ length: 2_345 }, (_, i) => metric(i)),
      params: Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: i })),
      tags: Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: `v${i}` })),
    });
    const chunks = chunkBatch(batch);
    for (const c of chunks) {
      expect(c.metrics.length).toBeLessThanOrEqual(1000);
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.tags.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.map((c) => [c.metrics.length, c.params.length, c.tags.length])).toEqual([
      [800, 100, 100],
      [880, 100, 20],
      [665, 50, 0],
    ]);
    expect(chunks.flatMap((c) => c.metrics.map((m) => m.step))).toEqual(
      Array.from({ length: 2_345 }, (_, i) => i),
    );
    expect(chunks.flatMap((c) => c.params.map((p) => p.key))).toEqual(
      Array.from({ length: 250 }, (_, i) => `p${i}`),
    );
    expect(chunks.flatMap((c) => c.tags.map((t) => t.key))).toEqual(
      Array.from({ length: 120 }, (_, i) => `t${i}`),
    );
  });

  it('sends NaN and ±Infinity as MLflow’s strings and defaults timestamp and step', () => {
    const { metrics } = prepareBatch(
      {
        metrics: [
          { key: 'a', value: Number.NaN },
          { key: 'b', value: Infinity },
          { key: 'c', value: -Infinity },
        ],
      },
      42,
    );
    expect(metrics).toEqual([
      { key: 'a', value: 'NaN', timestamp: 42, step: 0 },
      { key: 'b', value: 'Infinity', timestamp: 42, step: 0 },
      { key: 'c', value: '-Infinity', timestamp: 42, step: 0 },
    ]);
  });

  it('writes params as Python’s str() does and drops exact duplicates; refuses a key given two values', () => {
    expect(prepareBatch({ params: { a: true, b: false, c: 3, d: 0.5, e: 'x' } }).params).toEqual([
      { key: 'a', value: 'True' },
      { key: 'b', value: 'False' },
      { key: 'c', value: '3' },
      { key: 'd', value: '0.5' },
      { key: 'e', value: 'x' },
    ]);
    expect(
      prepareBatch({
        params: [
          { key: 'a', value: '1' },
          { key: 'a', value: '1' },
        ],
      }).params,
    ).toHaveLength(1);
    const error = (() => {
      try {
        prepareBatch({
          params: [
            { key: 'a', value: '1' },
            { key: 'a', value: '2' },
          ],
        });
      } catch (e) {
        return e;
      }
    })();
    expect(MlflowInputError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ field: 'params[1]' });
  });

  it('refuses values past the server’s length limits, counting characters as Python does', () => {
    const refused = (input: Parameters<typeof prepareBatch>[0]) => {
      try {
        prepareBatch(input);
        return undefined;
      } catch (e) {
        return e as MlflowInputError;
      }
    };
    expect(refused({ params: { p: 'x'.repeat(6000) } })).toBeUndefined();
    expect(refused({ params: { p: 'x'.repeat(6001) } })?.field).toBe('params[0].value');
    expect(refused({ params: { p: 'x'.repeat(6001) } })?.message).toMatch(
      /6001 characters long; MLflow keeps at most 6000/,
    );
    // 6,000 astral characters are 12,000 UTF-16 units but 6,000 characters for Python: accepted.
    expect(refused({ params: { p: '😀'.repeat(6000) } })).toBeUndefined();
    expect(refused({ tags: { t: 'x'.repeat(8001) } })?.field).toBe('tags[0].value');
    expect(refused({ tags: { ['k'.repeat(251)]: 'v' } })?.field).toBe('tags[0].key');
    expect(refused({ metrics: [{ key: 'm', value: Number('x') }] })).toBeUndefined();
    expect(refused({ metrics: [{ key: 'm', value: '1' as unknown as number }] })?.field).toBe(
      'metrics[0].value',
    );
    expect(refused({ metrics: [{ key: 'm', value: 1, timestamp: -1 }] })?.field).toBe('metrics[0].timestamp');
  });
});
