import { MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

const INVALID_INPUT_MARKER: symbol = Symbol.for('@mlops/mlflow.MlflowInputError');

/**
 * Input MLflow would reject or silently change, refused before anything is sent: a param value longer
 * than the server keeps (it would be truncated), a step that is not an exact integer, a metric value that
 * is not a number. `field` names the offending place (`params[3].value`, `metrics[0].step`).
 */
export class MlflowInputError extends MlopsError {
  static override readonly marker: symbol = INVALID_INPUT_MARKER;
  static override isInstance(value: unknown): value is MlflowInputError {
    return hasErrorMarker(value, INVALID_INPUT_MARKER);
  }

  /** Where the bad value is: `params[3].value`, `metrics[0].step`, `runId`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}

const PARTIAL_WRITE_MARKER: symbol = Symbol.for('@mlops/mlflow.MlflowPartialWriteError');

/**
 * A logBatch that needed several requests failed after some of them were written: what was written stays
 * in MLflow (MLflow has no transaction across requests). `cause` is the failure itself (a NotFoundError when
 * the run was deleted meanwhile, ...); the counts say what is stored.
 */
export class MlflowPartialWriteError extends MlopsError {
  static override readonly marker: symbol = PARTIAL_WRITE_MARKER;
  static override isInstance(value: unknown): value is MlflowPartialWriteError {
    return hasErrorMarker(value, PARTIAL_WRITE_MARKER);
  }

  readonly runId: string;
  /** Metrics, params and tags stored before the failure (whole requests). */
  readonly written: { metrics: number; params: number; tags: number };
  /** Metrics, params and tags asked for in all. */
  readonly total: { metrics: number; params: number; tags: number };

  constructor(init: {
    runId: string;
    written: { metrics: number; params: number; tags: number };
    total: { metrics: number; params: number; tags: number };
    cause: unknown;
  }) {
    const reason = init.cause instanceof Error ? init.cause.message : String(init.cause);
    super(
      `logBatch for run ${init.runId} failed part-way: ${init.written.metrics} of ${init.total.metrics} metrics, ${init.written.params} of ${init.total.params} params and ${init.written.tags} of ${init.total.tags} tags were stored before: ${reason}. Logging the same batch again is safe (MLflow keeps identical metrics, params and tags once).`,
      { cause: init.cause },
    );
    this.runId = init.runId;
    this.written = init.written;
    this.total = init.total;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), runId: this.runId, written: this.written, total: this.total };
  }
}

const OUTAGE_MARKER: symbol = Symbol.for('@mlops/mlflow.MlflowOutageError');

/**
 * withRun could not reach MLflow (connection refused or reset, timeouts, 5xx, 429) for longer than its
 * `outageTimeoutMs`, or the run was aborted while MLflow was unreachable. `notStored` counts what the run logged
 * and MLflow has not stored; `cause` is the last failure.
 */
export class MlflowOutageError extends MlopsError {
  static override readonly marker: symbol = OUTAGE_MARKER;
  static override isInstance(value: unknown): value is MlflowOutageError {
    return hasErrorMarker(value, OUTAGE_MARKER);
  }

  readonly runId: string;
  /** How long MLflow had been unreachable when withRun gave up, in ms. */
  readonly outageMs: number;
  /** Metrics, params and tags logged by the run and not stored by MLflow. */
  readonly notStored: { metrics: number; params: number; tags: number };

  constructor(init: {
    runId: string;
    outageMs: number;
    notStored: { metrics: number; params: number; tags: number };
    what: string;
    cause: unknown;
  }) {
    const reason = init.cause instanceof Error ? init.cause.message : String(init.cause);
    const { metrics, params, tags } = init.notStored;
    super(
      `MLflow was unreachable for ${Math.round(init.outageMs / 1000)} s during run ${init.runId}: ${init.what}; ${metrics} metrics, ${params} params and ${tags} tags it logged were not stored. Last failure: ${reason}. Check the tracking server, or give withRun a longer outageTimeoutMs.`,
      { cause: init.cause },
    );
    this.runId = init.runId;
    this.outageMs = init.outageMs;
    this.notStored = init.notStored;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), runId: this.runId, outageMs: this.outageMs, notStored: this.notStored };
  }
}

const BUFFER_FULL_MARKER: symbol = Symbol.for('@mlops/mlflow.MlflowBufferFullError');

/**
 * A withRun logging call found the run's buffer full (`maxBufferedMetrics` metrics logged and not yet stored,
 * because MLflow is unreachable or slower than the body logs). Nothing of that call was buffered; the run goes
 * on. `await run.flush()` waits until the buffer is sent (riding out an outage), then log again.
 */
export class MlflowBufferFullError extends MlopsError {
  static override readonly marker: symbol = BUFFER_FULL_MARKER;
  static override isInstance(value: unknown): value is MlflowBufferFullError {
    return hasErrorMarker(value, BUFFER_FULL_MARKER);
  }

  readonly runId: string;
  /** Metrics waiting to be stored. */
  readonly buffered: number;
  readonly maxBufferedMetrics: number;

  constructor(init: { runId: string; buffered: number; maxBufferedMetrics: number; outageMs: number }) {
    super(
      `run ${init.runId} has ${init.buffered} metrics waiting to be stored (maxBufferedMetrics ${init.maxBufferedMetrics})${init.outageMs > 0 ? `, MLflow unreachable for ${Math.round(init.outageMs / 1000)} s` : ''}; this call's values were not buffered. Await run.flush() before logging more, or raise maxBufferedMetrics.`,
    );
    this.runId = init.runId;
    this.buffered = init.buffered;
    this.maxBufferedMetrics = init.maxBufferedMetrics;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      runId: this.runId,
      buffered: this.buffered,
      maxBufferedMetrics: this.maxBufferedMetrics,
    };
  }
}
