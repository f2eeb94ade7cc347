import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main as onlineFeatures } from '../src/online-features';
import { main as retryingClient } from '../src/retrying-client';
import { main as trainingSet } from '../src/training-set';

describe('examples', () => {
  it('online-features reads features of known and unknown drivers', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const rows = await onlineFeatures(fileURLToPath(new URL('../../platform/feast', import.meta.url)));
      expect(rows).toHaveLength(3);
      expect(rows[0]!.driver_id).toBe(1001);
      expect(Object.values(rows[0]!).some((v) => typeof v === 'number' && v !== 1001)).toBe(true);
      expect(log).toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });

  it('retrying-client lists the platform DAGs through a typed, authenticated client', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await retryingClient()).toEqual(expect.arrayContaining(['feature_pipeline', 'xcom_example']));
    } finally {
      log.mockRestore();
    }
  });

  it('training-set reads the features of each driver as of each labelled moment', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const table = await trainingSet(fileURLToPath(new URL('../../platform/feast', import.meta.url)));
      expect(table.schema.fields.map((f) => f.name)).toEqual([
        'driver_id',
        'event_timestamp',
        'label',
        'conv_rate',
        'avg_daily_trips',
      ]);
      expect(table.numRows).toBe(4);
      // Hourly rows exist for the first day: the first rows have values; 72 h later is past the 1-day TTL.
      expect(table.getChild('conv_rate')!.get(0)).not.toBeNull();
      expect(table.getChild('conv_rate')!.get(3)).toBeNull();
    } finally {
      log.mockRestore();
    }
  });
});
