// The page options every MLflow search and history call takes, over core's token paginator.
import { Paginator } from '@mlops/core';
import { paginateByToken } from '@mlops/core/sdk';
import { MlflowInputError } from './errors';

export interface PageOptions {
  /** Stop after this many items in all (the iterator follows page tokens until then). */
  maxResults?: number;
  /** Items asked for per request (MLflow's `max_results`). */
  pageSize?: number;
  /** Start from this page token (one a previous page handed out). */
  pageToken?: string;
  signal?: AbortSignal;
}

/** A list MLflow hands out page by page: `for await` walks items, `.pages()` walks pages. */
export { Paginator };

export function pageSizeOf(options: PageOptions, fallback: number, max: number, call: string): number {
  const wanted = options.pageSize ?? Math.min(fallback, options.maxResults ?? fallback);
  if (!Number.isInteger(wanted) || wanted <= 0 || wanted > max) {
    throw new MlflowInputError(
      'pageSize',
      `${call}: pageSize must be an integer from 1 to ${max} (MLflow's limit for this call), got ${String(wanted)}.`,
    );
  }
  return Math.max(1, wanted);
}

export function tokenPages<T>(
  options: PageOptions,
  fetchPage: (
    pageToken: string | undefined,
  ) => Promise<{ items: readonly T[]; nextPageToken?: string | undefined }>,
): Paginator<T> {
  const first = options.pageToken;
  return paginateByToken((token) => fetchPage(token ?? first), {
    ...(options.maxResults === undefined ? {} : { maxItems: options.maxResults }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
