// The log shipper: pino destination → bounded in-memory queue → Elasticsearch `_bulk` (`create` into a data stream).
//
// Hand-written on @mlops/core's HTTP client rather than on `@elastic/elasticsearch`'s `helpers.bulk`, because:
//  - the official client locks its major to the server's (client 9 sends `compatible-with=9`, which ES 8 rejects;
//    client 8 would have to be what every user runs), while plain NDJSON over HTTP works on 8.x and 9.x alike;
//  - `helpers.bulk` retries 429 items only (not 5xx items), drops a whole batch when the request itself fails
//    (a server restart), and has no bounded buffer: we need all three;
//  - pino hands us each line already serialized: we prepend an action line and never parse or re-serialize it
//    (helpers.bulk re-stringifies every document), which is where the throughput ratio in bench/metrics-logs.mjs
//    comes from.
// No duplicates across retries: every line gets a client-side `_id` when it is queued, so a batch re-sent after
// a lost response comes back as 409 (already stored) for the lines that made it, and is counted, not re-stored.

import { randomBytes } from 'node:crypto';
import {
  ApiError,
  ConnectionError,
  createHttpClient,
  type HttpClient,
  type Logger,
  TimeoutError,
} from '@mlops/core';
import { type MetricsOptions, resolveMetricsConfig } from '../config';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { awaitFinished, eventIdOf, notStored } from './dedupe';
import { LogRejectedError, LogShipperError } from './errors';
import { ecsIndexTemplate } from './template';

/** How retries avoid duplicates: see `LogShipperOptions.dedupe`. */
export type DedupeMode = 'event-id' | 'document-id' | 'off';

/** What happens to a new line when the queue is full. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

/** A line Elasticsearch refused for good (a mapping error, say): not retried. */
export interface RejectedLog {
  /** The log line as it was written (the JSON document, without the action line). */
  readonly line: string;
  /** The item's HTTP status in the bulk response (400 for a mapping error, ...). */
  readonly status: number;
  /** Elasticsearch's error type and reason for the item. */
  readonly errorType: string;
  readonly reason: string;
}

export interface LogShipperOptions
  extends Pick<MetricsOptions, 'elasticsearchUrl' | 'elasticsearchApiKey' | 'attemptTimeoutMs'> {
  /**
   * The data stream the lines go into, `logs-<dataset>-<namespace>` by Elastic's convention (e.g.
   * `logs-churn_api-default`). An index template must make it a data stream: see `ensureIndexTemplate()`.
   */
  dataStream: string;
  /** A batch is sent once this many bytes (UTF-16 length of the NDJSON) are queued. Default 2 MiB. */
  flushBytes?: number;
  /** ...or once the oldest queued line is this old, in ms. Default 1000. */
  flushIntervalMs?: number;
  /**
   * Bound of the queue (lines not yet in a request), in bytes as above. Default 64 MiB. Memory held is at
   * most this plus `concurrency × flushBytes` in flight.
   */
  maxBufferBytes?: number;
  /** What a full queue does with a new line: drop the oldest queued lines (default) or the new one. */
  overflow?: OverflowPolicy;
  /**
   * How a batch re-sent after a request whose outcome is unknown (connection lost, timeout, 5xx) avoids storing
   * lines twice:
   * - `'event-id'` (default): every line gets a unique ECS `event.id` as its first field; after such a failure
   *   the shipper asks Elasticsearch which of the batch's ids are stored (a `terms` search after `_refresh`)
   *   and re-sends only the others. Elasticsearch still makes the `_id`s, so indexing keeps its append-only
   *   fast path. `event.id` must be a keyword (the template of `ensureIndexTemplate()` maps it so).
   * - `'document-id'`: the same id as `_id`; copies come back 409 and count as shipped. Safe even when a
   *   timed-out request is still being processed, but indexing with client ids costs Elasticsearch about
   *   twice the work (bench/metrics-logs.mjs).
   * - `'off'`: lines are sent as written; a retry after a lost response may store some twice.
   */
  dedupe?: DedupeMode;
  /** Bulk requests in flight at once. Default 4. */
  concurrency?: number;
  /** Backoff between retries of a failed batch: doubles from `retryInitialDelayMs` (default 100) up to `retryMaxDelayMs` (default 5000), with jitter. */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  /** How long `flush()` and `close()` wait for Elasticsearch before they reject, in ms. Default 30 000. */
  flushTimeoutMs?: number;
  /** Called for each line Elasticsearch refused for good (not 429/5xx). */
  onReject?: (rejected: RejectedLog) => void;
  /**
   * Called once per refusal (a whole `_bulk` request answered 401/403/404, a single line 400/413, or refused items
   * in a 200 answer, one call per status and error type) with a LogRejectedError that counts the lines, names
   * the status and says what to do. The latest is also `stats().lastError`.
   */
  onError?: (error: LogRejectedError) => void;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Where the shipper's own HTTP calls are logged (not the logs it ships). Off by default. */
  logger?: Logger;
}

/** Counters since the shipper was created. */
export interface LogShipperStats {
  /** Lines handed to `write()`. */
  written: number;
  /** Lines Elasticsearch acknowledged (created, or found already stored after a retry). */
  shipped: number;
  /** Of `shipped`: lines a retried batch found already stored (409), so not stored twice. */
  duplicatesSuppressed: number;
  /**
   * Lines dropped because the queue was full (see `overflow`), written after `close()`, or abandoned by a
   * `close()` that ran out of time (a line abandoned in flight may have been stored).
   */
  dropped: number;
  /** Lines Elasticsearch refused for good (see `onReject`, `onError`). */
  rejected: number;
  /** Of `rejected`: how many per HTTP status ('401', '413', '400', ...). */
  rejectedByStatus: Record<string, number>;
  /** The latest refusal, with the status and what to do; undefined while nothing was refused. */
  lastError: LogRejectedError | undefined;
  /** Lines re-sent after a 429/5xx item status or a failed request. */
  retried: number;
  /** Bulk requests sent (attempts included). */
  requests: number;
  /** Lines queued or in flight now. */
  pendingLines: number;
  /** Bytes (UTF-16 length) queued now, not counting what is in flight. */
  queuedBytes: number;
}

const DATA_STREAM_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const RETRYABLE = (status: number): boolean => status === 429 || status >= 500;

interface Waiter {
  resolve: () => void;
}

/**
 * Ships ECS log lines into an Elasticsearch data stream with the bulk API. A pino destination: pass it to
 * `createEcsLogger({ destination })` (or `pino(options, shipper)`). `write()` never blocks and never throws;
 * `flush()` and `close()` resolve once every line is acknowledged, or reject with a LogShipperError saying how
 * many are still pending.
 */
export class LogShipper {
  readonly dataStream: string;
  readonly #http: HttpClient<Record<string, never>>;
  readonly #flushBytes: number;
  readonly #flushIntervalMs: number;
  readonly #maxBufferBytes: number;
  readonly #overflow: OverflowPolicy;
  readonly #concurrency: number;
  readonly #retryInitialDelayMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #flushTimeoutMs: number;
  readonly #onReject: ((rejected: RejectedLog) => void) | undefined;
  readonly #onError: ((error: LogRejectedError) => void) | undefined;
  readonly #rejectedByStatus: Record<string, number> = {};
  #lastError: LogRejectedError | undefined;
  readonly #bulkPath: string;
  readonly #idPrefix: string;
  readonly #dedupe: DedupeMode;
  #seq = 0;
  // The queue: entries `{"create":{"_id":…}}\n<line>\n`, a head index instead of shift() (O(1) per line).
  #queue: string[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inFlight = 0;
  #inFlightLines = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #draining = 0;
  #closed = false;
  #abort = new AbortController();
  #waiters: Waiter[] = [];
  #capacityWaiters: Waiter[] = [];
  readonly #stats = {
    written: 0,
    shipped: 0,
    duplicatesSuppressed: 0,
    dropped: 0,
    rejected: 0,
    retried: 0,
    requests: 0,
  };

  constructor(options: LogShipperOptions) {
    const config = resolveMetricsConfig({
      elasticsearchUrl: options.elasticsearchUrl,
      elasticsearchApiKey: options.elasticsearchApiKey,
      attemptTimeoutMs: options.attemptTimeoutMs,
    });
    if (config.elasticsearchUrl === undefined) {
      throw new LogShipperError(
        '@mlops/metrics: no Elasticsearch URL for the log shipper. Pass the elasticsearchUrl option or set ELASTICSEARCH_URL (the local platform: `pnpm platform up elasticsearch`, http://127.0.0.1:9200).',
      );
    }
    if (!DATA_STREAM_NAME.test(options.dataStream) || options.dataStream.length > 255) {
      throw new LogShipperError(
        `@mlops/metrics: ${JSON.stringify(options.dataStream)} is not a valid data stream name: use lowercase letters, digits, '.', '_' and '-', not starting with one of '.', '_', '-' (Elastic's convention: logs-<dataset>-<namespace>, e.g. logs-churn_api-default).`,
      );
    }
    this.dataStream = options.dataStream;
    this.#flushBytes = positive('flushBytes', options.flushBytes, 2 * 1024 * 1024);
    this.#flushIntervalMs = positive('flushIntervalMs', options.flushIntervalMs, 1000);
    this.#maxBufferBytes = positive('maxBufferBytes', options.maxBufferBytes, 64 * 1024 * 1024);
    this.#concurrency = positive('concurrency', options.concurrency, 4);
    this.#retryInitialDelayMs = positive('retryInitialDelayMs', options.retryInitialDelayMs, 100);
    this.#retryMaxDelayMs = positive('retryMaxDelayMs', options.retryMaxDelayMs, 5000);
    this.#flushTimeoutMs = positive('flushTimeoutMs', options.flushTimeoutMs, 30_000);
    const overflow = options.overflow ?? 'drop-oldest';
    if (overflow !== 'drop-oldest' && overflow !== 'drop-newest') {
      throw new LogShipperError(
        `@mlops/metrics: overflow must be 'drop-oldest' or 'drop-newest', not ${JSON.stringify(overflow)}.`,
      );
    }
    this.#overflow = overflow;
    this.#onReject = options.onReject;
    this.#onError = options.onError;
    const headers: Record<string, string> = { ...options.headers };
    if (config.elasticsearchApiKey !== undefined)
      headers.authorization = `ApiKey ${config.elasticsearchApiKey}`;
    this.#http = createHttpClient<Record<string, never>>({
      service: 'elasticsearch',
      baseUrl: config.elasticsearchUrl,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      retry: false,
      attemptTimeoutMs: config.attemptTimeoutMs,
      timeoutMs: config.attemptTimeoutMs,
    });
    // filter_path keeps the response to what the item loop reads (a 5 000-item response shrinks ~10×).
    this.#bulkPath = `/${encodeURIComponent(this.dataStream)}/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason`;
    // Lowercase hex + base36: one keyword token whatever the analyzer.
    this.#idPrefix = randomBytes(8).toString('hex');
    const dedupe = options.dedupe ?? 'event-id';
    if (dedupe !== 'event-id' && dedupe !== 'document-id' && dedupe !== 'off') {
      throw new LogShipperError(
        `@mlops/metrics: dedupe must be 'event-id', 'document-id' or 'off', not ${JSON.stringify(dedupe)}.`,
      );
    }
    this.#dedupe = dedupe;
  }

  /**
   * Creates (or replaces) the index template that makes `dataStream` a data stream on its first `create`, with
   * ECS mappings for the fields the logger writes. Needs no module beyond what every Elasticsearch has.
   */
  async ensureIndexTemplate(
    options: { name?: string; priority?: number; replicas?: number } = {},
  ): Promise<void> {
    const name = options.name ?? `mlops-${this.dataStream}`;
    await this.#http.fetch(`/_index_template/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ecsIndexTemplate({ indexPatterns: [this.dataStream], ...options })),
    });
  }

  /** Queues one line (pino calls this). Never blocks, never throws: a full queue drops per `overflow`. */
  write(line: string): void {
    this.#stats.written++;
    if (this.#closed) {
      this.#stats.dropped++;
      return;
    }
    const doc = line.endsWith('\n') ? line : `${line}\n`;
    let entry: string;
    if (this.#dedupe === 'off' || doc.charCodeAt(0) !== 123 /* { */) entry = `{"create":{}}\n${doc}`;
    else {
      const id = this.#idPrefix + (this.#seq++).toString(36);
      const rest = doc.charCodeAt(1) === 125 /* } */ ? doc.slice(1) : `,${doc.slice(1)}`;
      entry =
        this.#dedupe === 'event-id'
          ? `{"create":{}}\n{"event.id":"${id}"${rest}`
          : `{"create":{"_id":"${id}"}}\n{"event.id":"${id}"${rest}`;
    }
    if (this.#queuedBytes + entry.length > this.#maxBufferBytes) {
      if (this.#overflow === 'drop-newest') {
        this.#stats.dropped++;
        return;
      }
      while (this.#queue.length > this.#head && this.#queuedBytes + entry.length > this.#maxBufferBytes) {
        this.#queuedBytes -= (this.#queue[this.#head] as string).length;
        this.#queue[this.#head++] = '';
        this.#stats.dropped++;
      }
    }
    this.#queue.push(entry);
    this.#queuedBytes += entry.length;
    if (this.#queuedBytes >= this.#flushBytes) this.#pump();
    else this.#armTimer();
  }

  /** The interval flush: lines never wait longer than flushIntervalMs for a batch to fill. */
  #armTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#draining++;
      this.#pump();
      this.#draining--;
    }, this.#flushIntervalMs);
    this.#timer.unref?.();
  }

  /**
   * For producers that can wait (a batch job, a replay): resolves at once while the queue is under half of
   * `maxBufferBytes`, otherwise once it has drained below that. A logger that cannot wait just writes, and a
   * full queue drops per `overflow`.
   */
  waitForCapacity(): Promise<void> {
    if (this.#queuedBytes < this.#maxBufferBytes / 2 || this.#closed) return Promise.resolve();
    this.#pump();
    return new Promise((resolve) => this.#capacityWaiters.push({ resolve }));
  }

  /** Counters since creation (a copy). */
  stats(): LogShipperStats {
    return {
      ...this.#stats,
      rejectedByStatus: { ...this.#rejectedByStatus },
      lastError: this.#lastError,
      pendingLines: this.#queue.length - this.#head + this.#inFlightLines,
      queuedBytes: this.#queuedBytes,
    };
  }

  /**
   * Sends everything queued and resolves once Elasticsearch has acknowledged it (or refused it for good, see
   * `onReject`). Rejects with a LogShipperError after `timeoutMs` (default `flushTimeoutMs`) if lines are still
   * pending — they stay queued and are still retried.
   */
  async flush(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#flushTimeoutMs;
    if (this.#idle()) return;
    this.#draining++;
    try {
      const done = new Promise<void>((resolve) => this.#waiters.push({ resolve }));
      this.#pump();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([done, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        const pending = this.stats().pendingLines;
        throw new LogShipperError(
          `@mlops/metrics: ${pending} log lines are not yet acknowledged by Elasticsearch after ${timeoutMs} ms (data stream ${this.dataStream}). Check that Elasticsearch is running and healthy; the lines stay queued and are retried${this.#closed ? ' until the process exits' : ''}.`,
          { pendingLines: pending },
        );
      }
    } finally {
      this.#draining--;
    }
  }

  /**
   * Stops accepting lines (later writes are counted as dropped), ships what is pending and stops the timer.
   * Rejects like `flush()` when lines are still pending after `timeoutMs`; those are then abandoned.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      await this.flush(options);
    } finally {
      this.#abort.abort();
      // Lines still queued are abandoned: counted as dropped (those in flight are counted by their send).
      const left = this.#queue.length - this.#head;
      if (left > 0) {
        this.#stats.dropped += left;
        this.#queue = [];
        this.#head = 0;
        this.#queuedBytes = 0;
      }
    }
  }

  #idle(): boolean {
    return this.#queue.length === this.#head && this.#inFlight === 0;
  }

  #pump(): void {
    while (this.#inFlight < this.#concurrency && this.#queue.length > this.#head) {
      if (this.#queuedBytes < this.#flushBytes && this.#draining === 0) return;
      const batch: string[] = [];
      let bytes = 0;
      while (
        this.#queue.length > this.#head &&
        (bytes === 0 || bytes + (this.#queue[this.#head] as string).length <= this.#flushBytes)
      ) {
        const entry = this.#queue[this.#head] as string;
        this.#queue[this.#head++] = '';
        batch.push(entry);
        bytes += entry.length;
      }
      this.#queuedBytes -= bytes;
      if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#inFlight++;
      this.#inFlightLines += batch.length;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        this.#inFlightLines -= batch.length;
        if (this.#queue.length > this.#head) {
          this.#pump();
          if (this.#queue.length > this.#head) this.#armTimer();
        }
        if (this.#idle()) for (const w of this.#waiters.splice(0)) w.resolve();
        if (this.#queuedBytes < this.#maxBufferBytes / 2 || this.#abort.signal.aborted) {
          for (const w of this.#capacityWaiters.splice(0)) w.resolve();
        }
      });
    }
  }

  /** Sends one batch until every line in it is acknowledged or refused for good (or the shipper is closed and aborted). */
  async #send(initial: string[], inherited: readonly string[] = []): Promise<void> {
    let batch = initial;
    let attempt = 0;
    // Set after a request whose outcome is unknown: some of the batch may be stored already. `unsureRequests`
    // are their X-Opaque-Ids: Elasticsearch may still be running one (a client timeout does not stop a bulk).
    // A half of a split batch inherits its parent's.
    let unsure = inherited.length > 0;
    const unsureRequests: string[] = [...inherited];
    while (batch.length > 0 && !this.#abort.signal.aborted) {
      if (attempt > 0) {
        await this.#backoff(attempt);
        if (this.#abort.signal.aborted) return this.#abandon(batch);
      }
      attempt++;
      if (unsure && this.#dedupe === 'event-id') {
        try {
          const before = batch.length;
          const where = { http: this.#http, dataStream: this.dataStream, signal: this.#abort.signal };
          await awaitFinished(where, unsureRequests);
          batch = await notStored(where, batch);
          this.#stats.shipped += before - batch.length;
          this.#stats.duplicatesSuppressed += before - batch.length;
          unsure = false;
          if (batch.length === 0) return;
        } catch {
          if (this.#abort.signal.aborted) return this.#abandon(batch);
          continue; // Elasticsearch still away: ask again after the next backoff.
        }
      }
      if (attempt > 1) this.#stats.retried += batch.length;
      this.#stats.requests++;
      const opaqueId = `mlops-${this.#idPrefix}-${this.#stats.requests}`;
      let body: BulkResponse;
      try {
        const response = await this.#http.fetch(this.#bulkPath, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', 'x-opaque-id': opaqueId },
          body: batch.join(''),
          signal: this.#abort.signal,
        });
        try {
          body = (await response.json()) as BulkResponse;
        } catch {
          // A 2xx whose body is not JSON (a proxy's page, a cut answer): the lines may be stored or not.
          unsure = true;
          unsureRequests.push(opaqueId);
          continue;
        }
      } catch (error) {
        if (this.#abort.signal.aborted) return this.#abandon(batch);
        if (ConnectionError.isInstance(error) || TimeoutError.isInstance(error)) {
          unsure = true;
          unsureRequests.push(opaqueId);
          continue;
        }
        if (ApiError.isInstance(error) && RETRYABLE(error.status)) {
          // A 429 is refused before indexing; a 5xx may come after some of it (a proxy, a dying node).
          if (error.status !== 429) {
            unsure = true;
            unsureRequests.push(opaqueId);
          }
          continue;
        }
        const status = ApiError.isInstance(error) ? error.status : 0;
        // 413 (the request is over http.max_content_length) or 400 (a line that breaks the NDJSON): the batch
        // is halved until the lines that cause it are alone, so one bad line does not take its batch with it.
        if ((status === 413 || status === 400) && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          const pending = unsure ? unsureRequests : [];
          await this.#send(batch.slice(0, half), pending);
          await this.#send(batch.slice(half), pending);
          return;
        }
        // The whole request refused for good (401, 403, 404, a single line 400/413, ...): not retried (new
        // credentials need a new shipper), every line counted as rejected and the refusal reported once.
        const reason = error instanceof Error ? error.message : String(error);
        for (const entry of batch) this.#reject(entry, status, 'request_failed', reason);
        this.#refused(status, 'request_failed', reason, batch.length, error);
        return;
      }
      if (
        typeof body !== 'object' ||
        body === null ||
        (body.items !== undefined && !Array.isArray(body.items))
      ) {
        // JSON, but not a bulk answer: as unknown as a body that is not JSON.
        unsure = true;
        unsureRequests.push(opaqueId);
        continue;
      }
      const items = body.items ?? [];
      if (!body.errors && items.length === batch.length) {
        this.#stats.shipped += batch.length;
        return;
      }
      const again: string[] = [];
      const refused = new Map<string, { status: number; errorType: string; reason: string; lines: number }>();
      batch.forEach((entry, i) => {
        const item = items[i];
        const result = item === undefined ? undefined : (item.create ?? Object.values(item)[0]);
        const status = result?.status ?? 500;
        if (status >= 200 && status < 300) this.#stats.shipped++;
        else if (status === 409 && this.#dedupe === 'document-id' && (attempt > 1 || inherited.length > 0)) {
          // A previous attempt stored it and its response was lost: already there, not stored twice.
          this.#stats.shipped++;
          this.#stats.duplicatesSuppressed++;
        } else if (RETRYABLE(status)) again.push(entry);
        else {
          const errorType = result?.error?.type ?? 'unknown';
          const reason = result?.error?.reason ?? '';
          this.#reject(entry, status, errorType, reason);
          const key = `${status} ${errorType}`;
          const group = refused.get(key);
          if (group) group.lines++;
          else refused.set(key, { status, errorType, reason, lines: 1 });
        }
      });
      for (const g of refused.values()) this.#refused(g.status, g.errorType, g.reason, g.lines);
      batch = again;
    }
    if (batch.length > 0) this.#abandon(batch);
  }

  /** Lines of a batch abandoned by close(): counted as dropped, never lost uncounted. */
  #abandon(batch: readonly string[]): void {
    this.#stats.dropped += batch.length;
  }

  /** Reports a refusal of `lines` lines once: stats().lastError and the onError callback. */
  #refused(status: number, errorType: string, reason: string, lines: number, cause?: unknown): void {
    const error = new LogRejectedError({
      status,
      errorType,
      reason,
      lines,
      dataStream: this.dataStream,
      ...(cause === undefined ? {} : { cause }),
    });
    this.#lastError = error;
    if (this.#onError) {
      try {
        this.#onError(error);
      } catch {
        // A throwing callback must not stop the shipper.
      }
    }
  }

  #reject(entry: string, status: number, errorType: string, reason: string): void {
    this.#stats.rejected++;
    this.#rejectedByStatus[String(status)] = (this.#rejectedByStatus[String(status)] ?? 0) + 1;
    if (this.#onReject) {
      let line = entry.slice(entry.indexOf('\n') + 1, -1);
      const id = eventIdOf(entry);
      if (id.startsWith(this.#idPrefix)) {
        // Hand back the line as it was written, without the event.id the shipper added.
        const rest = line.slice(14 + id.length);
        line = rest.startsWith(',') ? `{${rest.slice(1)}` : `{${rest}`;
      }
      try {
        this.#onReject({ line, status, errorType, reason });
      } catch {
        // A throwing callback must not stop the shipper.
      }
    }
  }

  #backoff(attempt: number): Promise<void> {
    const cap = Math.min(this.#retryMaxDelayMs, this.#retryInitialDelayMs * 2 ** Math.min(attempt - 1, 20));
    const delay = cap / 2 + Math.random() * (cap / 2);
    return new Promise((resolve) => {
      const timer = setTimeout(done, delay);
      const signal = this.#abort.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string };
}
interface BulkResponse {
  errors?: boolean;
  items?: Array<Record<string, BulkItemResult | undefined>>;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new LogShipperError(
      `@mlops/metrics: the log shipper's ${name} must be a positive number, not ${String(value)}.`,
    );
  }
  return value;
}
