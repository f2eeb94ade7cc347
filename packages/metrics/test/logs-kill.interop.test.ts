// The server dies mid-stream (SIGKILL of our own throwaway Elasticsearch, never the platform's), comes back on the
// same data: every line is retried until stored, none lost, none stored twice — counted back with a search.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEcsLogger, LogShipper } from '../src/index';
import { countDocs, duplicatedValues, OwnElasticsearch, uniqueDataStream } from './support/elasticsearch';

let es: OwnElasticsearch;
beforeAll(async () => {
  es = await OwnElasticsearch.create();
  await es.start();
}, 180_000);
afterAll(() => es?.destroy(), 60_000);

it('retries through a killed and restarted server: none lost, none duplicated', {
  timeout: 300_000,
}, async () => {
  const dataStream = uniqueDataStream('kill');
  const shipper = new LogShipper({
    elasticsearchUrl: es.url,
    dataStream,
    flushBytes: 32 * 1024,
    flushIntervalMs: 50,
    retryMaxDelayMs: 1000,
    attemptTimeoutMs: 5000,
    flushTimeoutMs: 120_000,
  });
  await shipper.ensureIndexTemplate();
  const log = createEcsLogger({ service: { name: 'kill-test' }, destination: shipper });

  let seq = 0;
  const writeSome = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      log.info({ seq: seq++ }, 'line');
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
    }
  };
  await writeSome(3000);
  // Kill while batches are in flight, keep logging while it is down, then bring it back on the same data.
  const killed = es.kill();
  await writeSome(2000);
  await killed;
  await writeSome(2000);
  const before = shipper.stats();
  expect(before.pendingLines).toBeGreaterThan(0);
  await es.start();
  await writeSome(1000);
  await shipper.close();

  const stats = shipper.stats();
  console.info(`kill test: ${JSON.stringify(stats)}`);
  expect(stats).toMatchObject({ written: 8000, shipped: 8000, dropped: 0, rejected: 0, pendingLines: 0 });
  expect(stats.retried).toBeGreaterThan(0);
  expect(await countDocs(es.url, dataStream)).toBe(8000);
  expect(await duplicatedValues(es.url, dataStream, 'seq')).toEqual([]);
});
