// ECS lines from createEcsLogger into a real Elasticsearch data stream, on 8.19 and 9.x (platform components
// elasticsearch and elasticsearch9), counted and searched back.
import { beforeAll, describe, expect, it } from 'vitest';
import { createEcsLogger, LogShipper, type RejectedLog } from '../src/index';
import {
  countDocs,
  esTargets,
  requireElasticsearch,
  search,
  uniqueDataStream,
} from './support/elasticsearch';

describe.each(esTargets)('logs into Elasticsearch $version', { timeout: 60_000 }, (target) => {
  beforeAll(() => requireElasticsearch(target));

  it('creates the data stream from the index template on the first bulk create and stores every line', async () => {
    const dataStream = uniqueDataStream('ship');
    const shipper = new LogShipper({ elasticsearchUrl: target.url, dataStream, flushBytes: 64 * 1024 });
    await shipper.ensureIndexTemplate();
    const log = createEcsLogger({
      service: { name: 'churn-api', version: '1.4.0', environment: 'test' },
      destination: shipper,
    });
    for (let i = 0; i < 5000; i++)
      log.info({ labels: { model: 'churn' }, seq: i }, 'prediction %d served', i);
    log.error(new Error('feature store unreachable'), 'prediction failed');
    await shipper.close();

    expect(shipper.stats()).toMatchObject({
      written: 5001,
      shipped: 5001,
      dropped: 0,
      rejected: 0,
      pendingLines: 0,
    });
    expect(await countDocs(target.url, dataStream)).toBe(5001);
    // A data stream (backing index .ds-…), ECS fields mapped as the template says.
    const res = await search<{
      hits: { hits: Array<{ _index: string; _source: Record<string, unknown> }> };
      aggregations: { levels: { buckets: Array<{ key: string; doc_count: number }> } };
    }>(target.url, dataStream, {
      post_filter: { match: { message: 'failed' } },
      aggs: { levels: { terms: { field: 'log.level' } } },
    });
    expect(res.hits.hits).toHaveLength(1);
    const hit = res.hits.hits[0];
    expect(hit?._index.startsWith(`.ds-${dataStream}-`)).toBe(true);
    expect(hit?._source).toMatchObject({
      'log.level': 'error',
      message: 'prediction failed',
      'service.name': 'churn-api',
      'service.version': '1.4.0',
      'service.environment': 'test',
      error: { type: 'Error', message: 'feature store unreachable' },
    });
    expect(typeof hit?._source['@timestamp']).toBe('string');
    expect(res.aggregations.levels.buckets).toEqual([
      { key: 'info', doc_count: 5000 },
      { key: 'error', doc_count: 1 },
    ]);
  });

  it('reports lines Elasticsearch refuses for good (a mapping conflict) and ships the rest', async () => {
    const dataStream = uniqueDataStream('reject');
    const rejected: RejectedLog[] = [];
    const shipper = new LogShipper({
      elasticsearchUrl: target.url,
      dataStream,
      onReject: (r) => rejected.push(r),
    });
    await shipper.ensureIndexTemplate();
    const log = createEcsLogger({ service: { name: 'churn-api' }, destination: shipper });
    log.info('fine before');
    shipper.write('{"@timestamp":"2026-01-01T00:00:00Z","message":"bad pid","process.pid":"not-a-number"}\n');
    log.info('fine after');
    await shipper.flush();

    expect(shipper.stats()).toMatchObject({ shipped: 2, rejected: 1, retried: 0 });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      status: 400,
      errorType: 'document_parsing_exception',
      line: '{"@timestamp":"2026-01-01T00:00:00Z","message":"bad pid","process.pid":"not-a-number"}',
    });
    expect(await countDocs(target.url, dataStream)).toBe(2);
    await shipper.close();
  });
});
