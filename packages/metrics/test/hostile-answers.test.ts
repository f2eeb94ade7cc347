// Found by fuzz/clients.test.ts: a Prometheus answer of another shape is a DecodeError (a vector of `false`
// threw a TypeError), and a Pushgateway grouping value with a lone surrogate is refused (TextEncoder would have
// sent U+FFFD in its place: another grouping key, silently).
import { DecodeError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { MetricsInputError, PrometheusClient } from '../src/index';
import { groupingPath } from '../src/pushgateway/grouping';

const answering = (body: string) =>
  new PrometheusClient({
    url: 'http://prometheus.test',
    maxRetries: 0,
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
  });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('hostile answers and keys', () => {
  it.each([
    '{"status":"success","data":{"resultType":"vector","result":[false]}}',
    '{"status":"success","data":{"resultType":"vector","result":7}}',
  ])('query answered %s is a DecodeError', async (body) => {
    const error = await rejection(answering(body).query('up'));
    expect(DecodeError.isInstance(error)).toBe(true);
  });

  it('a grouping value with a lone surrogate is a MetricsInputError; a well-formed one goes as @base64', () => {
    for (const value of ['\uD800', 'a\uDFFF', '\uDFFF\uD800']) {
      expect(() => groupingPath('job', { instance: value })).toThrow(MetricsInputError);
      expect(() => groupingPath(value)).toThrow(MetricsInputError);
    }
    expect(groupingPath('job', { instance: '日本/\r\n' })).toBe(
      `/metrics/job/job/instance@base64/${Buffer.from('日本/\r\n').toString('base64url')}`,
    );
  });
});
