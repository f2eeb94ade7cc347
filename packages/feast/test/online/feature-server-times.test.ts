// The feature server's materialization takes any TimeInput and sends it with its microseconds; a bad time is
// refused before anything is sent, in the parser's words.
import { describe, expect, it } from 'vitest';
import { InvalidFeatureRequestError } from '../../src/errors';
import { FeatureServerClient } from '../../src/online/feature-server';
import { rejection } from '../support/rejection';

function capturing(): { client: FeatureServerClient; bodies: unknown[] } {
  const bodies: unknown[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    bodies.push(JSON.parse(await request.text()));
    return new Response('ok', { status: 200 });
  };
  return { client: new FeatureServerClient({ url: 'http://feast.test', fetch }), bodies };
}

describe('feature server materialization times', () => {
  it('sends every TimeInput as ISO 8601 with microseconds', async () => {
    const { client, bodies } = capturing();
    await client.materialize({ start: '2026-01-01T01:00:00.000001+01:00', end: 1_767_225_600_000_002n });
    await client.materializeIncremental({ end: new Date('2026-01-01T00:00:00.003Z') });
    expect(bodies).toEqual([
      { start_ts: '2026-01-01T00:00:00.000001Z', end_ts: '2026-01-01T00:00:00.000002Z' },
      { end_ts: '2026-01-01T00:00:00.003000Z' },
    ]);
  });

  it('refuses a time without a zone before sending anything', async () => {
    const { client, bodies } = capturing();
    const error = await rejection(client.materialize({ start: '2026-01-01T00:00:00', end: new Date() }));
    expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/^start: the string "2026-01-01T00:00:00" has no time zone/);
    expect(bodies).toEqual([]);
  });
});
