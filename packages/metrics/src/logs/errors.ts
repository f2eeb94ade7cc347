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

const LOG_REJECTED_MARKER: symbol = Symbol.for('@mlops/metrics.LogRejectedError');

/** What to do about a refusal, by status (and Elasticsearch's error type for a refused item). */
function adviceFor(status: number, errorType: string, dataStream: string): string {
  if (status === 401)
    return 'Elasticsearch refused the credentials: check the elasticsearchApiKey option or ELASTICSEARCH_API_KEY (the base64 "id:api_key" of a valid API key).';
  if (status === 403)
    return `the credentials may not write to ${dataStream}: grant the API key the create_doc and auto_configure privileges on it.`;
  if (status === 413)
    return "the line alone is larger than Elasticsearch's http.max_content_length (default 100mb): log less in one line, or raise that setting.";
  if (status === 404)
    return `${dataStream} does not exist and could not be created: call ensureIndexTemplate() first (it makes the name a data stream).`;
  if (status === 400 && errorType === 'request_failed')
    return 'Elasticsearch could not read the line: write one JSON object per line (no raw newline inside it).';
  if (status === 400)
    return "a field's value does not fit the data stream's mapping, or the line is not one JSON object: fix the field's type in what is logged, or the index template.";
  return "see Elasticsearch's reason.";
}

/**
 * Log lines Elasticsearch refused for good, so they are not stored (counted in `stats().rejected`): the whole
 * `_bulk` request answered 401, 403, 404, or 400/413 for a single line, or items answered a 4xx other than 409/429
 * inside a 200. Handed to the shipper's `onError` (once per refusal, not per line) and kept as
 * `stats().lastError`. The message names the status and what to do.
 */
export class LogRejectedError extends LogShipperError {
  static override readonly marker: symbol = LOG_REJECTED_MARKER;
  static override isInstance(value: unknown): value is LogRejectedError {
    return hasErrorMarker(value, LOG_REJECTED_MARKER);
  }

  /** The HTTP status of the request, or of the items, Elasticsearch refused. */
  readonly status: number;
  /** Elasticsearch's error type ('document_parsing_exception', ...), or 'request_failed' for a whole request. */
  readonly errorType: string;
  readonly reason: string;
  /** Lines refused (not stored) in this refusal. */
  readonly lines: number;
  readonly dataStream: string;

  constructor(init: {
    status: number;
    errorType: string;
    reason: string;
    lines: number;
    dataStream: string;
    cause?: unknown;
  }) {
    super(
      `@mlops/metrics: Elasticsearch refused ${init.lines} log line${init.lines === 1 ? '' : 's'} for ${init.dataStream} with status ${init.status} (${init.errorType}${init.reason ? `: ${init.reason}` : ''}); they are not stored and not retried. What to do: ${adviceFor(init.status, init.errorType, init.dataStream)}`,
      init.cause === undefined ? {} : { cause: init.cause },
    );
    this.status = init.status;
    this.errorType = init.errorType;
    this.reason = init.reason;
    this.lines = init.lines;
    this.dataStream = init.dataStream;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      errorType: this.errorType,
      reason: this.reason,
      lines: this.lines,
      dataStream: this.dataStream,
    };
  }
}
