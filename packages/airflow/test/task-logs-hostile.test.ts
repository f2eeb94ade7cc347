// A task log page of another shape than Airflow 3's (found by fuzz/clients.test.ts): a DecodeError naming the
// log, never "page.content is not iterable" or a line that is not a line.
import { DecodeError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { AirflowClient } from '../src/index';
import { rejection } from './support/rejection';

function answering(page: string): AirflowClient {
  return new AirflowClient({
    baseUrl: 'http://airflow.test',
    token: 'test-token',
    maxRetries: 0,
    fetch: async () => new Response(page, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
}

async function read(page: string) {
  const lines = [];
  for await (const line of answering(page).taskInstances.logs('d', 'r', 't', { tryNumber: 1 }))
    lines.push(line);
  return lines;
}

describe('hostile task log pages', () => {
  it.each([
    ['[]', 'body is not an object'],
    ['{"content":"text"}', 'content is not a list'],
    ['{"content":[5]}', 'neither text nor an object'],
    ['{"content":[null]}', 'neither text nor an object'],
    ['{"content":[],"continuation_token":7}', 'continuation_token is not text'],
  ])('%s is a DecodeError', async (page, message) => {
    const error = await rejection(read(page));
    expect(DecodeError.isInstance(error)).toBe(true);
    expect(error.message).toContain(message);
    expect(error.message).toContain('d/r/t try 1');
  });

  it('reads text and structured lines (the control)', async () => {
    expect(
      await read('{"content":["plain",{"event":"hi","level":"info","timestamp":"t"},{"level":3}]}'),
    ).toEqual([
      { event: 'plain' },
      { event: 'hi', level: 'info', timestamp: 't' },
      { event: '', level: undefined, timestamp: undefined },
    ]);
  });
});
