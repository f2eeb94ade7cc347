import { createEcsLogger, LogShipper } from '@mlops/metrics';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  countDocs,
  duplicatedValues,
  esTargets,
  requireElasticsearch,
  uniqueDataStream,
} from '../../packages/metrics/test/support/elasticsearch';
import { report } from './support/load';
import { type FaultProxy, faultProxy } from './support/toxiproxy';

// Issue 15: log shipping while the store is unreachable (short form 5 s, FAULTS_PROFILE=long 30 s), through a
// Toxiproxy proxy in front of the platform's Elasticsearch 8 that first black-holes requests (answers never
// come back: outcomes unknown), then refuses connections, then lets them through. Counted back: every line
// written is in the store exactly once, or was dropped by the bounded buffer and counted as dropped — and the
// buffer never held more than its bound.
const OUTAGE_MS = process.env.FAULTS_PROFILE === 'long' ? 30_000 : 5_000;
const target = esTargets[0]!;
let proxy: FaultProxy;

beforeAll(async () => {
  await requireElasticsearch(target);
  proxy = await faultProxy('elasticsearch', Number(new URL(target.url).port));
});

afterAll(async () => {
  await proxy?.remove();
});

async function shipThroughOutage(maxBufferBytes: number) {
  const dataStream = uniqueDataStream('outage');
  const shipper = new LogShipper({
    elasticsearchUrl: `http://127.0.0.1:${proxy.port}`,
    dataStream,
    flushBytes: 16 * 1024,
    flushIntervalMs: 50,
    maxBufferBytes,
    retryMaxDelayMs: 500,
    attemptTimeoutMs: 1000,
    flushTimeoutMs: 120_000,
  });
  await shipper.ensureIndexTemplate();
  const log = createEcsLogger({ service: { name: 'faults-outage' }, destination: shipper });
  let seq = 0;
  let maxQueued = 0;
  const writeFor = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      for (let i = 0; i < 50; i++) log.info({ seq: seq++ }, 'a line of the outage test');
      maxQueued = Math.max(maxQueued, shipper.stats().queuedBytes);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await writeFor(1000);
  const blackhole = await proxy.toxic('timeout', { timeout: 0 }, 'downstream');
  await writeFor(OUTAGE_MS / 2);
  await blackhole();
  await proxy.disable();
  await writeFor(OUTAGE_MS / 2);
  // The outage was felt: what was written during it is not in the store yet.
  const writtenBeforeBack = seq;
  const storedBeforeBack = await countDocs(target.url, dataStream).catch(() => 0);
  await proxy.enable();
  await writeFor(1000);
  await shipper.close();
  const stats = shipper.stats();
  const stored = await countDocs(target.url, dataStream);
  const duplicates = await duplicatedValues(target.url, dataStream, 'seq');
  expect(storedBeforeBack).toBeLessThan(writtenBeforeBack);
  report(`logs-outage-${OUTAGE_MS / 1000}s-buffer-${maxBufferBytes}`, {
    written: seq,
    stored: await countDocs(target.url, dataStream),
    dropped: shipper.stats().dropped,
    duplicates: (await duplicatedValues(target.url, dataStream, 'seq')).length,
    maxQueuedBytes: maxQueued,
  });
  return { written: seq, stats, stored, duplicates, maxQueued };
}

it(`a ${OUTAGE_MS / 1000} s outage with room to buffer it: every line stored exactly once`, async () => {
  const { written, stats, stored, duplicates, maxQueued } = await shipThroughOutage(64 * 1024 * 1024);
  expect(stats.written).toBe(written);
  expect(stats.dropped).toBe(0);
  expect({ stored, duplicates }).toEqual({ stored: written, duplicates: [] });
  expect(maxQueued).toBeLessThanOrEqual(64 * 1024 * 1024);
}, 300_000);

it('a buffer smaller than the outage: memory stays bounded, every line stored once or counted as dropped', async () => {
  const bound = 256 * 1024;
  const { written, stats, stored, duplicates, maxQueued } = await shipThroughOutage(bound);
  expect(maxQueued).toBeLessThanOrEqual(bound);
  expect(stats.dropped).toBeGreaterThan(0);
  expect(stats.shipped + stats.dropped).toBe(written);
  expect({ stored, duplicates }).toEqual({ stored: stats.shipped, duplicates: [] });
}, 300_000);
