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
