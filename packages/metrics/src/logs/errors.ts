import { MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

const LOG_SHIPPER_MARKER: symbol = Symbol.for('@mlops/metrics.LogShipperError');

/**
 * Log lines the shipper could not deliver: a `flush()`/`close()` that ran out of time while Elasticsearch was
 * unreachable or kept answering 429/5xx, or a shipper used with bad options. Says how many lines are still
 * pending so nothing is lost silently.
 */
export class LogShipperError extends MlopsError {
  static override readonly marker: symbol = LOG_SHIPPER_MARKER;
  static override isInstance(value: unknown): value is LogShipperError {
    return hasErrorMarker(value, LOG_SHIPPER_MARKER);
  }

  /** Lines buffered or in flight, not yet acknowledged by Elasticsearch, when the error was raised. */
  readonly pendingLines: number;

  constructor(message: string, init: { pendingLines?: number; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? {} : { cause: init.cause });
    this.pendingLines = init.pendingLines ?? 0;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), pendingLines: this.pendingLines };
  }
}
