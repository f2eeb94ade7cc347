import { DecodeError } from '@mlops/core';
import { fastDecodeValue } from '../codec/fast-value';
import { decodeTimestampMicros } from '../codec/timestamp';
import type { FeastValue } from '../codec/value';
import { ABANDONED, type CallDeadline } from './deadline';
import { hex, type RedisOnlineStore } from './redis-online-store';
import type { PreparedRequest, ViewShape } from './request-plan';
import { type ColumnSource, type FeatureColumn, type FieldStatus, OnlineFeaturesResult } from './result';
import { isOutsideMaxAge, type StatusMode } from './status';

export type { StatusMode } from './status';

const EPOCH = new Date(0);

/** What one view read: per distinct key, its features' values and states, and its event time. */
interface ViewRead {
  shape: ViewShape;
  rowKey: Int32Array;
  featureCount: number;
  /** keys × features, row-major by key. */
  values: FeastValue[];
  /** keys × features: MISSING (never written), NULL (a stored null) or VALUE. */
  states: Uint8Array;
  /** Per key: µs since the epoch of its `_ts`, NaN when there is none. */
  micros: Float64Array;
  /** Per key, made on first use: its event timestamp as a Date (shared by the view's columns). */
  dates: Array<Date | null> | undefined;
}

const MISSING = 0;
const NULL = 1;
const VALUE = 2;

/**
 * Reads a prepared request from Redis — one HMGET per distinct entity hash, one pipeline per node — and
 * decodes every value now (bad bytes fail the call, never a partial result); the result's columns are
 * assembled only when read. With `call`, the store may refuse to send it (Redis stalled or unreachable for
 * longer than the call's deadline), and replies that come after the caller was answered are not decoded.
 */
export function readOnline(
  store: RedisOnlineStore,
  plan: PreparedRequest,
  options: { statuses?: StatusMode; nowMicros?: bigint } = {},
  call?: CallDeadline,
): Promise<OnlineFeaturesResult> {
  const mode = options.statuses ?? 'computed';
  const now = options.nowMicros === undefined ? Date.now() * 1000 : Number(options.nowMicros);
  const { shape } = plan;
  return store.hmgetGroups(shape.groups, plan.keys, call).then((replies) => {
    // Nobody waits for this answer any more (its deadline passed): decoding it would only delay the calls that
    // are still waiting. Rejecting settles nothing the caller can see.
    if (call?.settled) throw ABANDONED;
    // Where each group's replies start.
    const firstReply: number[] = [];
    let next = 0;
    for (const keys of plan.keys) {
      firstReply.push(next);
      next += keys.length;
    }
    const reads: ViewRead[] = [];
    for (const view of shape.views) {
      reads.push(
        decodeView(view, plan.keys[view.group]!, replies, firstReply[view.group]!, plan.rowKeys[view.group]!),
      );
    }
    return new OnlineFeaturesResult(
      shape.names as string[],
      new LazyColumns(plan, reads, mode, now),
      plan.rowCount,
      shape.valueTypes as Record<string, number>,
    );
  });
}

function decodeView(
  view: ViewShape,
  keys: readonly Buffer[],
  replies: ReadonlyArray<ReadonlyArray<Buffer | null>>,
  first: number,
  rowKey: Int32Array,
): ViewRead {
  const { selection, offset } = view;
  const featureCount = selection.features.length;
  const keyCount = keys.length;
  const values: FeastValue[] = new Array(keyCount * featureCount);
  const states = new Uint8Array(keyCount * featureCount);
  const micros = new Float64Array(keyCount);
  for (let k = 0; k < keyCount; k++) {
    const reply = replies[first + k]!;
    const tsBytes = reply[offset + featureCount];
    if (tsBytes === null || tsBytes === undefined) micros[k] = Number.NaN;
    else {
      try {
        micros[k] = decodeTimestampMicros(tsBytes);
      } catch (cause) {
        throw new DecodeError({
          what: 'event timestamp',
          source: `redis key 0x${hex(keys[k]!)}`,
          field: `_ts:${selection.view.name}`,
          cause,
        });
      }
    }
    const base = k * featureCount;
    for (let f = 0; f < featureCount; f++) {
      const bytes = reply[offset + f];
      if (bytes === null || bytes === undefined) {
        values[base + f] = null;
      } else if (bytes.length === 0) {
        values[base + f] = null;
        states[base + f] = NULL;
      } else {
        try {
          // A plain Uint8Array view of ioredis' Buffer: bytes values come out as Uint8Array, not Buffer.
          values[base + f] = fastDecodeValue(
            new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          );
        } catch (cause) {
          const field = `${selection.view.name}:${selection.features[f]!.name}`;
          throw new DecodeError(
            {
              what: 'feature value (feast.types.Value)',
              source: `redis key 0x${hex(keys[k]!)}`,
              field,
              cause,
            },
            `Could not decode the value of ${field} in Redis key 0x${hex(keys[k]!)}: the bytes are not a feast.types.Value (${(cause as Error).message}). Rewrite it (materialize or writeToOnlineStore) or delete the key.`,
          );
        }
        states[base + f] = VALUE;
      }
    }
  }
  return { shape: view, rowKey, featureCount, values, states, micros, dates: undefined };
}

/** The columns of a read, assembled on first use from the decoded values (see OnlineFeaturesResult). */
class LazyColumns implements ColumnSource {
  readonly #plan: PreparedRequest;
  readonly #reads: ViewRead[];
  readonly #mode: StatusMode;
  readonly #now: number;
  /** Result column name → [view read, feature index]; entity columns are not in it. */
  #where: Map<string, [ViewRead, number]> | undefined;

  constructor(plan: PreparedRequest, reads: ViewRead[], mode: StatusMode, now: number) {
    this.#plan = plan;
    this.#reads = reads;
    this.#mode = mode;
    this.#now = now;
  }

  #locate(name: string): [ViewRead, number] | undefined {
    if (!this.#where) {
      this.#where = new Map();
      for (const read of this.#reads) {
        for (const [f, output] of read.shape.selection.outputNames.entries())
          this.#where.set(output, [read, f]);
      }
    }
    return this.#where.get(name);
  }

  values(name: string): FeastValue[] {
    const at = this.#locate(name);
    if (!at) return this.#entityValues(name);
    const [read, f] = at;
    const rowCount = this.#plan.rowCount;
    const out: FeastValue[] = new Array(rowCount);
    for (let row = 0; row < rowCount; row++)
      out[row] = read.values[read.rowKey[row]! * read.featureCount + f]!;
    return out;
  }

  #entityValues(name: string): FeastValue[] {
    const index = this.#plan.shape.columnNames.indexOf(name);
    return this.#plan.columnValues[index] as FeastValue[];
  }

  column(name: string): FeatureColumn {
    const rowCount = this.#plan.rowCount;
    const at = this.#locate(name);
    if (!at) {
      return {
        values: this.#entityValues(name),
        statuses: new Array<FieldStatus>(rowCount).fill('PRESENT'),
        eventTimestamps: new Array<Date | null>(rowCount).fill(this.#mode === 'feast' ? EPOCH : null),
      };
    }
    const [read, f] = at;
    const feast = this.#mode === 'feast';
    const ttlSeconds = read.shape.selection.view.ttlSeconds;
    const dates = this.#dates(read);
    const statuses: FieldStatus[] = new Array(rowCount);
    const eventTimestamps: Array<Date | null> = new Array(rowCount);
    for (let row = 0; row < rowCount; row++) {
      const k = read.rowKey[row]!;
      const state = read.states[k * read.featureCount + f]!;
      const micros = read.micros[k]!;
      eventTimestamps[row] = dates[k]!;
      statuses[row] = feast
        ? 'PRESENT'
        : state === MISSING
          ? 'NOT_FOUND'
          : state === NULL
            ? 'NULL_VALUE'
            : !Number.isNaN(micros) && isOutsideMaxAge(micros, ttlSeconds, this.#now)
              ? 'OUTSIDE_MAX_AGE'
              : 'PRESENT';
    }
    return { values: this.values(name), statuses, eventTimestamps };
  }

  #dates(read: ViewRead): Array<Date | null> {
    if (!read.dates) {
      const feast = this.#mode === 'feast';
      read.dates = Array.from(read.micros, (micros) =>
        Number.isNaN(micros) ? (feast ? EPOCH : null) : new Date(Math.floor(micros / 1000)),
      );
    }
    return read.dates;
  }
}
