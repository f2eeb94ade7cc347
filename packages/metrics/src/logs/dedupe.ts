// Dedupe by ECS `event.id` (LogShipper's default): after a bulk request whose outcome is unknown, wait until
// Elasticsearch no longer runs it, then ask which of the batch's ids are stored, so only the others are re-sent.
import { ApiError, type HttpClient } from '@mlops/core';

/** Where to ask: the shipper's HTTP client, its data stream, and its abort signal (close). */
export interface Where {
  http: HttpClient<Record<string, never>>;
  dataStream: string;
  signal: AbortSignal;
}

interface SearchResponse {
  timed_out?: boolean;
  _shards?: { total: number; successful: number; failed: number };
  hits?: { hits?: Array<{ fields?: { 'event.id'?: string[] } }> };
}

/** The `event.id` the shipper put first in an entry's document ('' when it put none). */
export function eventIdOf(entry: string): string {
  const at = entry.indexOf('\n{"event.id":"');
  if (at < 0) return '';
  const start = at + 14;
  return entry.slice(start, entry.indexOf('"', start));
}

/** Throws while Elasticsearch still runs a bulk task of one of these requests (found by its X-Opaque-Id). */
export async function awaitFinished(where: Where, opaqueIds: string[]): Promise<void> {
  const response = await where.http.fetch('/_tasks?actions=indices:data/write/bulk*&group_by=none', {
    signal: where.signal,
  });
  const { tasks = [] } = (await response.json()) as { tasks?: Array<{ headers?: Record<string, string> }> };
  const running = tasks.filter((t) => opaqueIds.includes(t.headers?.['X-Opaque-Id'] ?? ''));
  if (running.length > 0)
    throw new Error(`${running.length} bulk tasks of an earlier attempt are still running`);
}

/**
 * The entries of `batch` whose `event.id` Elasticsearch does not have (searched in chunks of 5 000). Throws —
 * so the caller asks again later — unless every shard answered: a shard still recovering after a restart
 * must not read as "not stored".
 */
export async function notStored(where: Where, batch: string[]): Promise<string[]> {
  const base = `/${encodeURIComponent(where.dataStream)}`;
  const ids = batch.map(eventIdOf);
  const stored = new Set<string>();
  try {
    await where.http.fetch(`${base}/_refresh`, { method: 'POST', signal: where.signal });
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000).filter((id) => id !== '');
      if (chunk.length === 0) continue;
      const response = await where.http.fetch(
        `${base}/_search?allow_partial_search_results=false&filter_path=_shards,timed_out,hits.hits.fields`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            size: chunk.length,
            _source: false,
            fields: ['event.id'],
            query: { terms: { 'event.id': chunk } },
          }),
          signal: where.signal,
        },
      );
      const found = (await response.json()) as SearchResponse;
      const shards = found._shards;
      if (found.timed_out || !shards || shards.failed !== 0 || shards.successful !== shards.total) {
        throw new Error(`search of ${where.dataStream} incomplete: ${JSON.stringify(shards)}`);
      }
      for (const hit of found.hits?.hits ?? [])
        for (const id of hit.fields?.['event.id'] ?? []) stored.add(id);
    }
  } catch (error) {
    // No data stream yet: the lost request was its first, and nothing of it is stored.
    if (ApiError.isInstance(error) && error.status === 404) return batch;
    throw error;
  }
  return batch.filter((_, i) => ids[i] === '' || !stored.has(ids[i] as string));
}
