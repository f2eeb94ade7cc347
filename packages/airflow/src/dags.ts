import { NotFoundError, type Paginator } from '@mlops/core';
import { paginateByOffset } from '@mlops/core/sdk';
import type { Clock } from './auth';
import { AirflowWaitTimeoutError, DagImportError } from './errors';
import { sleepFor } from './polling';
import {
  type AirflowHttp,
  type Dag,
  type DagDetails,
  type DagVersion,
  type ImportError,
  type ListFilters,
  PAGE_SIZE,
  type RequestOptions,
} from './types';

/** What `waitForDagVersion` waits for: one of these must hold for the DAG's latest parsed version. */
export interface DagVersionTarget extends RequestOptions {
  /** The bundle version the new DAG version must carry (git-backed bundles: the commit). */
  bundleVersion?: string;
  /** sha256 (hex) of the DAG file as deployed; compared with the source Airflow serves for the DAG. */
  sourceHash?: string;
  /** A version number the latest version must reach (e.g. the one before the deploy, plus one). */
  minVersionNumber?: number;
  /**
   * The DAG file, relative to its bundle (`relative_fileloc`), for import errors of a DAG that never
   * parsed (a new file); a DAG that exists already names its own file.
   */
  filename?: string;
  /** Import errors older than this are not about this deploy. Default: when the wait started. */
  since?: Date;
  /** Give up after this many ms (AirflowWaitTimeoutError). Default 120 000. */
  timeout?: number;
  /** Poll interval in ms. Default 1000. */
  pollIntervalMs?: number;
}

/** DAGs: list, get, details, pause, source, versions, import errors, and deploying from CI. */
export class Dags {
  readonly #http: AirflowHttp;
  readonly #now: Clock;

  constructor(http: AirflowHttp, now: Clock) {
    this.#http = http;
    this.#now = now;
  }

  /** Every DAG matching the filters, page by page: `for await (const dag of client.dags.list())`. */
  list(filters: ListFilters<'get_dags'> = {}, options: RequestOptions = {}): Paginator<Dag> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/dags', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.dags, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }

  get(dagId: string, options: RequestOptions = {}): Promise<Dag> {
    return this.#http.get('/api/v2/dags/{dag_id}', {
      params: { path: { dag_id: dagId } },
      signal: options.signal,
    });
  }

  /** The DAG with its params, catchup, timezone, latest version and more. */
  details(dagId: string, options: RequestOptions = {}): Promise<DagDetails> {
    return this.#http.get('/api/v2/dags/{dag_id}/details', {
      params: { path: { dag_id: dagId } },
      signal: options.signal,
    });
  }

  pause(dagId: string, options: RequestOptions = {}): Promise<Dag> {
    return this.#setPaused(dagId, true, options);
  }

  unpause(dagId: string, options: RequestOptions = {}): Promise<Dag> {
    return this.#setPaused(dagId, false, options);
  }

  #setPaused(dagId: string, paused: boolean, options: RequestOptions): Promise<Dag> {
    return this.#http.patch('/api/v2/dags/{dag_id}', {
      params: { path: { dag_id: dagId }, query: { update_mask: ['is_paused'] } },
      body: { is_paused: paused },
      // Setting a flag to a value is safe to repeat.
      idempotent: true,
      signal: options.signal,
    });
  }

  /** The DAG file's source as Airflow stored it (the latest version, or `versionNumber`'s). */
  async source(dagId: string, options: RequestOptions & { versionNumber?: number } = {}): Promise<string> {
    const answer = await this.#http.get('/api/v2/dagSources/{dag_id}', {
      params: {
        path: { dag_id: dagId },
        query: options.versionNumber === undefined ? {} : { version_number: options.versionNumber },
        header: { accept: 'application/json' },
      },
      signal: options.signal,
    });
    return answer.content ?? '';
  }

  /** Every version of the DAG, oldest first unless `order_by` says otherwise. */
  versions(
    dagId: string,
    filters: ListFilters<'get_dag_versions'> = {},
    options: RequestOptions = {},
  ): Paginator<DagVersion> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/dags/{dag_id}/dagVersions', {
          params: { path: { dag_id: dagId }, query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.dag_versions, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  /** The latest parsed version of the DAG, or undefined when it has none yet. */
  async latestVersion(dagId: string, options: RequestOptions = {}): Promise<DagVersion | undefined> {
    const page = await this.#http.get('/api/v2/dags/{dag_id}/dagVersions', {
      params: { path: { dag_id: dagId }, query: { order_by: ['-version_number'], limit: 1 } },
      signal: options.signal,
    });
    return page.dag_versions[0];
  }

  /** Files that failed to import (`filename` is relative to the bundle, as in `relative_fileloc`). */
  importErrors(
    filters: ListFilters<'get_import_errors'> = {},
    options: RequestOptions = {},
  ): Paginator<ImportError> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/importErrors', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.import_errors, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  /**
   * Asks the dag-processor to parse a DAG file now rather than at its next scan. `fileToken` is the
   * DAG's `file_token` (from `get` or `list`).
   */
  async reparse(fileToken: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.put('/api/v2/parseDagFile/{file_token}', {
      params: { path: { file_token: fileToken } },
      signal: options.signal,
    });
  }

  /**
   * Waits until the DAG's latest version is the deployed one (by `bundleVersion`, `sourceHash` or
   * `minVersionNumber`) and returns it. A DAG file that does not import raises DagImportError with
   * Airflow's error text; running out of time raises AirflowWaitTimeoutError.
   */
  async waitForDagVersion(dagId: string, target: DagVersionTarget): Promise<DagVersion> {
    const { bundleVersion, sourceHash, minVersionNumber } = target;
    if (bundleVersion === undefined && sourceHash === undefined && minVersionNumber === undefined) {
      throw new TypeError(
        'waitForDagVersion needs what to wait for: pass bundleVersion, sourceHash (sha256 hex of the DAG file) or minVersionNumber.',
      );
    }
    if (sourceHash !== undefined && !/^[0-9a-f]{64}$/i.test(sourceHash)) {
      throw new TypeError(
        `sourceHash must be the sha256 of the DAG file in hex (64 characters), got ${JSON.stringify(sourceHash)}.`,
      );
    }
    const timeout = target.timeout ?? 120_000;
    const started = this.#now();
    const since = target.since?.getTime() ?? started;
    const request = { signal: target.signal };
    let lastSeen: unknown;
    for (;;) {
      let dag: Dag | undefined;
      try {
        dag = await this.get(dagId, request);
      } catch (error) {
        if (!NotFoundError.isInstance(error)) throw error;
      }
      // A stale DAG (its file was removed) is not live, whatever its last version says.
      if (dag !== undefined && !dag.is_stale) {
        const latest = await this.latestVersion(dagId, request);
        lastSeen = latest?.version_number;
        if (latest !== undefined && (await this.#matches(dagId, latest, target))) return latest;
      }
      const filename = dag?.relative_fileloc ?? target.filename;
      if (filename) {
        const errors = await this.importErrors({ filename }, request).toArray();
        const fresh = errors.find((e) => Date.parse(e.timestamp) >= since);
        if (fresh !== undefined) {
          throw new DagImportError({
            dagId,
            filename: fresh.filename,
            stackTrace: fresh.stack_trace,
            timestamp: fresh.timestamp,
          });
        }
      }
      if (this.#now() - started >= timeout) {
        const wanted = [
          bundleVersion === undefined ? '' : `bundle version ${bundleVersion}`,
          sourceHash === undefined ? '' : `source sha256 ${sourceHash.slice(0, 12)}…`,
          minVersionNumber === undefined ? '' : `version ≥ ${minVersionNumber}`,
        ].filter(Boolean);
        throw new AirflowWaitTimeoutError(
          `DAG ${dagId} did not reach ${wanted.join(' and ')} within ${timeout} ms (${dag === undefined ? 'the DAG does not exist yet' : `latest version ${String(lastSeen)}`}). Check that the file is in the dag-processor's bundle, call reparse(file_token), or raise the timeout.`,
          { waitingFor: 'dag-version', timeoutMs: timeout, lastSeen },
        );
      }
      await sleepFor(
        Math.min(target.pollIntervalMs ?? 1000, Math.max(0, timeout - (this.#now() - started))),
        target.signal,
      );
    }
  }

  async #matches(dagId: string, latest: DagVersion, target: DagVersionTarget): Promise<boolean> {
    if (target.bundleVersion !== undefined && latest.bundle_version !== target.bundleVersion) return false;
    if (target.minVersionNumber !== undefined && latest.version_number < target.minVersionNumber)
      return false;
    if (target.sourceHash !== undefined) {
      const source = await this.source(dagId, {
        versionNumber: latest.version_number,
        signal: target.signal,
      });
      if ((await sha256Hex(source)) !== target.sourceHash.toLowerCase()) return false;
    }
    return true;
  }
}

/** sha256 of text as UTF-8, in hex (Web Crypto: Node, Deno and Bun alike). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
