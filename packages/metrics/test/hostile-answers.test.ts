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

  // Found by `pnpm fuzz` (seed 1354271678): a sample time whose milliseconds are not an exact integer (here
  // -Infinity) passed the decoder and made toArrow() throw a RangeError from BigInt().
  it.each(['[[-1.797693134862316e+305,"0"]]', '[[1e300,"1"]]', '[[9007199254740.993,"1"]]'])(
    'queryRange with sample times %s is a DecodeError',
    async (values) => {
      const body = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":${values}}]}}`;
      const error = await rejection(
        answering(body).queryRange('up', { start: 0, end: 60_000, step: 15_000 }),
      );
      expect(DecodeError.isInstance(error)).toBe(true);
      expect(error.message).toMatch(/out of range/);
    },
  );

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
