import { DecodeError } from '@mlops/core';
import { fastDecodeValue } from '../codec/fast-value';
import { decodeTimestampMicros } from '../codec/timestamp';
import type { FeastValue } from '../codec/value';
import { type HmgetCommand, hex, type RedisOnlineStore } from './redis-online-store';
import type { RequestPlan } from './request-plan';
import { type FeatureColumn, type FieldStatus, OnlineFeaturesResult } from './result';
import { fieldStatus, isOutsideMaxAge, type StatusMode } from './status';

export type { StatusMode } from './status';

const EPOCH = new Date(0);

/** Reads a planned request from Redis: one HMGET per distinct entity hash, one pipeline per node. */
export async function readOnline(
  store: RedisOnlineStore,
  plan: RequestPlan,
  options: { statuses?: StatusMode; nowMicros?: bigint } = {},
): Promise<OnlineFeaturesResult> {
  const mode = options.statuses ?? 'computed';
  const now = options.nowMicros === undefined ? Date.now() * 1000 : Number(options.nowMicros);
  // Views looked up by the same join keys live in the same hashes: one HMGET per entity asks for all their
  // fields at once (plans share the keys array between such views).
  const commands: HmgetCommand[] = [];
  const groups = new Map<readonly Uint8Array[], { fields: Uint8Array[]; first: number }>();
  const groupOf: Array<{ fields: Uint8Array[]; first: number }> = [];
  const offsetOf: number[] = [];
  for (const view of plan.views) {
    let group = groups.get(view.keys);
    if (!group) {
      group = { fields: [], first: 0 };
      groups.set(view.keys, group);
    }
    groupOf.push(group);
    offsetOf.push(group.fields.length);
    group.fields.push(...view.fields);
  }
  for (const [keys, group] of groups) {
    group.first = commands.length;
    for (const key of keys) commands.push({ key, fields: group.fields });
  }
  const replies = await store.hmget(commands);

  const names: string[] = [];
  const columns: Record<string, FeatureColumn> = {};
  const valueTypes: Record<string, number> = {};
  for (const entity of plan.entityColumns) {
    names.push(entity.name);
    columns[entity.name] = {
      values: entity.values as FeastValue[],
      statuses: new Array<FieldStatus>(plan.rowCount).fill('PRESENT'),
      eventTimestamps: new Array<Date | null>(plan.rowCount).fill(mode === 'feast' ? EPOCH : null),
    };
    const type = plan.views.flatMap((v) => v.joinKeys).find((k) => k.requestKey === entity.name)?.valueType;
    if (type !== undefined) valueTypes[entity.name] = type;
  }

  for (const [v, view] of plan.views.entries()) {
    const featureCount = view.features.length;
    const ttlSeconds = view.view.ttlSeconds;
    // Decode each distinct entity once; rows that share an entity share its values.
    const decoded = view.keys.map((key, k) => {
      const reply = replies[groupOf[v]!.first + k]!;
      const offset = offsetOf[v]!;
      const tsBytes = reply[offset + featureCount];
      let timestamp: Date | null = null;
      let micros: number | null = null;
      if (tsBytes) {
        try {
          micros = decodeTimestampMicros(tsBytes);
          timestamp = new Date(Math.floor(micros / 1000));
        } catch (cause) {
          throw new DecodeError({
            what: 'event timestamp',
            source: `redis key 0x${hex(key)}`,
            field: `_ts:${view.view.name}`,
            cause,
          });
        }
      }
      const values: FeastValue[] = new Array(featureCount);
      const statuses: FieldStatus[] = new Array(featureCount);
      const found = tsBytes !== null && tsBytes !== undefined;
      const stale = found && isOutsideMaxAge(micros, ttlSeconds, now);
      for (let f = 0; f < featureCount; f++) {
        const bytes = reply[offset + f];
        if (bytes === null || bytes === undefined) {
          values[f] = null;
          statuses[f] = fieldStatus('missing', false, mode);
        } else if (bytes.length === 0) {
          values[f] = null;
          statuses[f] = fieldStatus('null', false, mode);
        } else {
          try {
            // A plain Uint8Array view of ioredis' Buffer: bytes values come out as Uint8Array, not Buffer.
            values[f] = fastDecodeValue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          } catch (cause) {
            const field = `${view.view.name}:${view.features[f]!.name}`;
            throw new DecodeError(
              { what: 'feature value (feast.types.Value)', source: `redis key 0x${hex(key)}`, field, cause },
              `Could not decode the value of ${field} in Redis key 0x${hex(key)}: the bytes are not a feast.types.Value (${(cause as Error).message}). Rewrite it (materialize or writeToOnlineStore) or delete the key.`,
            );
          }
          statuses[f] = fieldStatus('value', stale, mode);
        }
      }
      const eventTimestamp = mode === 'feast' ? (timestamp ?? EPOCH) : found ? timestamp : null;
      return { values, statuses, eventTimestamp };
    });

    for (let f = 0; f < featureCount; f++) {
      const name = view.outputNames[f]!;
      const column: FeatureColumn = {
        values: new Array(plan.rowCount),
        statuses: new Array(plan.rowCount),
        eventTimestamps: new Array(plan.rowCount),
      };
      for (let row = 0; row < plan.rowCount; row++) {
        const entity = decoded[view.rowKey[row]!]!;
        column.values[row] = entity.values[f]!;
        column.statuses[row] = entity.statuses[f]!;
        column.eventTimestamps[row] = entity.eventTimestamp;
      }
      names.push(name);
      columns[name] = column;
      valueTypes[name] = view.features[f]!.valueType;
    }
  }
  return new OnlineFeaturesResult(names, columns, plan.rowCount, valueTypes);
}
