import { AbortError, MlopsError } from './errors';

/** One page of a token-paginated list (`page_token` in, `next_page_token` out: MLflow, Feast). */
export interface TokenPage<T> {
  items: readonly T[];
  /** Absent, null or empty when this was the last page. */
  nextPageToken?: string | null | undefined;
}

/** One page of an offset-paginated list (`limit`/`offset` in, `total_entries` out: Airflow). */
export interface OffsetPage<T> {
  items: readonly T[];
  /** The size of the whole list, when the API says it. */
  totalEntries?: number | null | undefined;
}

export interface PaginateOptions {
  /** Stop after this many items in all. */
  maxItems?: number;
  /** Stop after this many pages. */
  maxPages?: number;
  /** Stops the iteration between pages (the page fetch should take it too). */
  signal?: AbortSignal;
}

/**
 * A lazily fetched list: `for await (const item of list)` walks every item, fetching pages as needed;
 * `list.pages()` walks pages; `list.toArray()` collects.
 */
export class Paginator<T> implements AsyncIterable<T> {
  readonly #pages: () => AsyncGenerator<readonly T[]>;
  readonly #maxItems: number;

  constructor(pages: () => AsyncGenerator<readonly T[]>, maxItems = Number.POSITIVE_INFINITY) {
    this.#pages = pages;
    this.#maxItems = maxItems;
  }

  /** Pages as the API returns them (the last one cut to maxItems). */
  async *pages(): AsyncGenerator<readonly T[]> {
    let remaining = this.#maxItems;
    if (remaining <= 0) return;
    for await (const page of this.#pages()) {
      if (page.length >= remaining) {
        yield page.slice(0, remaining);
        return;
      }
      remaining -= page.length;
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page;
  }

  /** Every item, in order. Mind big lists: pass maxItems. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages()) out.push(...page);
    return out;
  }
}

/**
 * Token-based pagination. `fetchPage(token)` gets the page after `token` (undefined for the first).
 * A server that hands back a token it already gave would loop forever: that raises an MlopsError.
 */
export function paginateByToken<T>(
  fetchPage: (pageToken: string | undefined) => Promise<TokenPage<T>>,
  options: PaginateOptions = {},
): Paginator<T> {
  return new Paginator(async function* () {
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 0; page < (options.maxPages ?? Number.POSITIVE_INFINITY); page++) {
      throwIfAborted(options.signal);
      const result = await fetchPage(token);
      yield result.items;
      const next = result.nextPageToken;
      if (next === undefined || next === null || next === '') return;
      if (seen.has(next)) {
        throw new MlopsError(
          `The server returned page token ${JSON.stringify(next)} twice; stopping instead of looping forever.`,
        );
      }
      seen.add(next);
      token = next;
    }
  }, options.maxItems);
}

export interface OffsetPaginateOptions extends PaginateOptions {
  /** Items asked for per page (`limit`). Default 100. */
  pageSize?: number;
  /** Where to start. Default 0. */
  startOffset?: number;
}

/**
 * Offset-based pagination. `fetchPage({ limit, offset })` gets one page. Stops at `totalEntries` when the
 * API gives it, otherwise at the first page shorter than `limit`, and always at an empty page.
 */
export function paginateByOffset<T>(
  fetchPage: (page: { limit: number; offset: number }) => Promise<OffsetPage<T>>,
  options: OffsetPaginateOptions = {},
): Paginator<T> {
  const limit = options.pageSize ?? 100;
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new MlopsError(`pageSize must be a positive integer, got ${String(options.pageSize)}.`);
  }
  return new Paginator(async function* () {
    let offset = options.startOffset ?? 0;
    for (let page = 0; page < (options.maxPages ?? Number.POSITIVE_INFINITY); page++) {
      throwIfAborted(options.signal);
      const result = await fetchPage({ limit, offset });
      if (result.items.length === 0) return;
      yield result.items;
      offset += result.items.length;
      const total = result.totalEntries;
      if (typeof total === 'number' ? offset >= total : result.items.length < limit) return;
    }
  }, options.maxItems);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AbortError('The listing was aborted by the caller.', { reason: signal.reason });
  }
}
