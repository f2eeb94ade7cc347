import { MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

const NOT_FOUND_MARKER: symbol = Symbol.for('@mlops/feast.FeastObjectNotFoundError');
const INVALID_REQUEST_MARKER: symbol = Symbol.for('@mlops/feast.InvalidFeatureRequestError');

export type FeastObjectKind =
  | 'entity'
  | 'feature view'
  | 'feature service'
  | 'feature'
  | 'data source'
  | 'project';

/** An entity, feature view, feature service or feature that the registry does not have. */
export class FeastObjectNotFoundError extends MlopsError {
  static override readonly marker: symbol = NOT_FOUND_MARKER;
  static override isInstance(value: unknown): value is FeastObjectNotFoundError {
    return hasErrorMarker(value, NOT_FOUND_MARKER);
  }

  readonly kind: FeastObjectKind;
  readonly objectName: string;
  readonly project: string;
  /** Known names close to the one asked for. */
  readonly suggestions: string[];

  constructor(init: {
    kind: FeastObjectKind;
    name: string;
    project: string;
    known: Iterable<string>;
    scope?: string;
  }) {
    const suggestions = closest(init.name, init.known);
    const where = init.scope ?? `project ${init.project}`;
    super(
      `Feast ${init.kind} ${JSON.stringify(init.name)} does not exist in ${where}.${
        suggestions.length ? ` Did you mean ${suggestions.map((s) => JSON.stringify(s)).join(' or ')}?` : ''
      } Run \`feast apply\` if it was added recently, or list what exists with the registry's list methods.`,
    );
    this.kind = init.kind;
    this.objectName = init.name;
    this.project = init.project;
    this.suggestions = suggestions;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      kind: this.kind,
      objectName: this.objectName,
      project: this.project,
      suggestions: this.suggestions,
    };
  }
}

/** A request that cannot be served as asked: missing or extra join keys, a value of the wrong type, ... */
export class InvalidFeatureRequestError extends MlopsError {
  static override readonly marker: symbol = INVALID_REQUEST_MARKER;
  static override isInstance(value: unknown): value is InvalidFeatureRequestError {
    return hasErrorMarker(value, INVALID_REQUEST_MARKER);
  }
}

/** Up to three known names within a small edit distance of `name`. */
function closest(name: string, known: Iterable<string>): string[] {
  const scored: Array<[number, string]> = [];
  const limit = Math.max(2, Math.floor(name.length / 3));
  for (const candidate of known) {
    const a = name.toLowerCase();
    const b = candidate.toLowerCase();
    const d = distance(a, b);
    // Close in spelling, or one is the other cut short ("driver_hourly" for "driver_hourly_stats").
    if (d <= limit || (Math.min(a.length, b.length) >= 4 && (a.startsWith(b) || b.startsWith(a))))
      scored.push([d, candidate]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, 3)
    .map(([, n]) => n);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

const OFFLINE_STORE_MARKER: symbol = Symbol.for('@mlops/feast.OfflineStoreError');

/**
 * The offline store (PostgreSQL) refused a query: a missing table or column, a type that does not compare,
 * a permission. Carries PostgreSQL's SQLSTATE, and the statement that failed.
 */
export class OfflineStoreError extends MlopsError {
  static override readonly marker: symbol = OFFLINE_STORE_MARKER;
  static override isInstance(value: unknown): value is OfflineStoreError {
    return hasErrorMarker(value, OFFLINE_STORE_MARKER);
  }

  /** PostgreSQL's SQLSTATE, e.g. 42P01 for a missing table. */
  readonly sqlState: string | undefined;
  /** What we were doing: 'uploading the entity rows', 'running the point-in-time query', ... */
  readonly step: string;

  constructor(init: { step: string; sqlState?: string | undefined; cause?: unknown }, message: string) {
    super(message, { cause: init.cause });
    this.step = init.step;
    this.sqlState = init.sqlState;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), step: this.step, sqlState: this.sqlState };
  }
}

/** A place in a materialization run, to resume from: JSON, so it can be stored anywhere. */
export interface MaterializeCheckpoint {
  /** The run's range, ISO 8601 (a checkpoint only resumes the same range). */
  start: string;
  end: string;
  /** Views finished (and recorded) before this point. */
  done: string[];
  /** The view in progress, and the join key values (as text) of the last entity written to Redis. */
  featureView: string | undefined;
  after: string[] | undefined;
}

const MATERIALIZE_MARKER: symbol = Symbol.for('@mlops/feast.MaterializeError');

/**
 * A materialization run that stopped part-way (a dropped connection, Redis down, a bad value). What was
 * written stays written; `checkpoint` says where to go on: `store.materialize({ ..., resume: error.checkpoint })`.
 * `cause` is the error that stopped it.
 */
export class MaterializeError extends MlopsError {
  static override readonly marker: symbol = MATERIALIZE_MARKER;
  static override isInstance(value: unknown): value is MaterializeError {
    return hasErrorMarker(value, MATERIALIZE_MARKER);
  }

  /** Plain JSON: store it, and pass it back as `resume`. */
  readonly checkpoint: MaterializeCheckpoint;

  constructor(checkpoint: MaterializeCheckpoint, cause: unknown) {
    const where = checkpoint.featureView
      ? `in ${checkpoint.featureView}${checkpoint.after ? ` after the entity (${checkpoint.after.join(', ')})` : ' before its first batch'}`
      : 'before the first view';
    super(
      `Materialization stopped ${where}${checkpoint.done.length ? `, with ${checkpoint.done.join(', ')} done` : ''}: ${cause instanceof Error ? cause.message : String(cause)} Run it again with { resume: error.checkpoint } to continue from there.`,
      { cause },
    );
    this.checkpoint = checkpoint;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), checkpoint: this.checkpoint };
  }
}
