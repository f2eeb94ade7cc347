// A feature server answer that cannot be right (found by fuzz/feast.test.ts): a value that is not of its
// feature's type, a timestamp that is no time, a body whose parts have the wrong shape. Each is a DecodeError
// naming the feature, never a RangeError from BigInt, an Invalid Date or a value passed on as it came.
import { create } from '@bufbuild/protobuf';
import { DecodeError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { ValueType } from '../../src/codec/value-type';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import { FeatureServerClient } from '../../src/online/feature-server';
import { RegistrySnapshot } from '../../src/registry/registry';
import { rejection } from '../support/rejection';

const project = 'p';
const snapshot = new RegistrySnapshot(
  create(RegistrySchema, {
    featureViews: [
      {
        spec: {
          name: 'stats',
          project,
          entities: ['driver'],
          features: [
            { name: 'trips', valueType: ValueType.INT64 },
            { name: 'photo', valueType: ValueType.BYTES },
          ],
          entityColumns: [{ name: 'driver_id', valueType: ValueType.INT64 }],
          online: true,
        },
      },
    ],
  }),
  project,
);

function answering(body: string): FeatureServerClient {
  return new FeatureServerClient({
    url: 'http://feast.test',
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
    maxRetries: 0,
  });
}

const vector = (values: string, stamp = '"2026-01-01T00:00:00Z"') =>
  `{"values":${values},"statuses":["PRESENT"],"event_timestamps":[${stamp}]}`;
const answer = (trips: string, photo = vector('["AAE="]'), stamp?: string) =>
  `{"metadata":{"feature_names":["driver_id","trips","photo"]},"results":[${vector('[1]')},${vector(trips, stamp)},${photo}]}`;
const read = (client: FeatureServerClient) =>
  client.getOnlineFeatures(snapshot, {
    features: ['stats:trips', 'stats:photo'],
    entities: { driver_id: [1] },
  });

describe('hostile feature server answers', () => {
  it('reads a right answer (the control)', async () => {
    const result = await read(answering(answer('[12345678901234567890]')));
    expect(result.toDict()).toMatchObject({
      trips: [12345678901234567890n],
      photo: [Uint8Array.from([0, 1])],
    });
  });

  it.each([
    [
      'a fraction for an INT64',
      answer('[1.5e-243]'),
      /answered 1\.5e-243 for trips, which cannot be a INT64/,
    ],
    ['text for an INT64', answer('["12"]'), /answered "12" for trips/],
    ['a number for BYTES', answer('[1]', vector('[7]')), /answered 7 for photo, which cannot be a BYTES/],
    [
      'an event timestamp that is no time',
      answer('[1]', undefined, '"yesterday"'),
      /"yesterday" for trips, which is not a time/,
    ],
    [
      'statuses that are not strings',
      answer('[1]', '{"values":[null],"statuses":[3]}'),
      /feature server response/,
    ],
    ['values that are not a list', answer('5'), /feature server response/],
  ])('%s is a DecodeError', async (_what, body, message) => {
    const error = await rejection(read(answering(body)));
    expect(DecodeError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(message);
  });
});
