import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createHttpClient, MlopsError } from '../src/index';
import { paginateByOffset, paginateByToken } from '../src/sdk';
import type { paths } from './generated/model-registry';
import { rejectionOf, useMswServer } from './helpers';

const BASE = 'http://registry.test';
const server = useMswServer();
const api = createHttpClient<paths>({ service: 'mlflow', baseUrl: BASE });
const models = Array.from({ length: 7 }, (_, i) => ({
  name: `m${i}`,
  version: 1,
  created_at: '2026-01-01T00:00:00Z',
}));
const runs = Array.from({ length: 23 }, (_, i) => ({ run_id: `r${i}`, status: 'FINISHED' as const }));

describe('pagination', () => {
  it('walks a token-paginated API page by page, lazily', async () => {
    const tokens: Array<string | null> = [];
    server.use(
      http.get(`${BASE}/models`, ({ request }) => {
        const url = new URL(request.url);
        const token = url.searchParams.get('page_token');
        tokens.push(token);
        const start = token ? Number(token) : 0;
        const size = Number(url.searchParams.get('max_results'));
        const next = start + size < models.length ? String(start + size) : undefined;
        return HttpResponse.json({
          models: models.slice(start, start + size),
          ...(next ? { next_page_token: next } : {}),
        });
      }),
    );
    const list = paginateByToken(async (pageToken) => {
      const page = await api.get('/models', {
        params: { query: { max_results: 3, ...(pageToken ? { page_token: pageToken } : {}) } },
      });
      return { items: page.models, nextPageToken: page.next_page_token };
    });
    const names: string[] = [];
    for await (const model of list) names.push(model.name);
    expect(names).toEqual(models.map((m) => m.name));
    expect(tokens).toEqual([null, '3', '6']);

    tokens.length = 0;
    for await (const model of list) if (model.name === 'm1') break;
    expect(tokens).toEqual([null]);
  });

  it('walks an offset-paginated API, stopping at total_entries', async () => {
    const offsets: number[] = [];
    server.use(
      http.get(`${BASE}/runs`, ({ request }) => {
        const url = new URL(request.url);
        const offset = Number(url.searchParams.get('offset'));
        const limit = Number(url.searchParams.get('limit'));
        offsets.push(offset);
        return HttpResponse.json({ runs: runs.slice(offset, offset + limit), total_entries: runs.length });
      }),
    );
    const list = paginateByOffset(
      async ({ limit, offset }) => {
        const page = await api.get('/runs', { params: { query: { limit, offset } } });
        return { items: page.runs, totalEntries: page.total_entries };
      },
      { pageSize: 10 },
    );
    expect((await list.toArray()).map((r) => r.run_id)).toEqual(runs.map((r) => r.run_id));
    expect(offsets).toEqual([0, 10, 20]);
    const pages: number[] = [];
    for await (const page of list.pages()) pages.push(page.length);
    expect(pages).toEqual([10, 10, 3]);
  });

  it('stops at a short page when there is no total, and honours maxItems', async () => {
    const calls: number[] = [];
    const data = Array.from({ length: 25 }, (_, i) => i);
    const list = (maxItems?: number) =>
      paginateByOffset(
        async ({ limit, offset }) => {
          calls.push(offset);
          return { items: data.slice(offset, offset + limit) };
        },
        { pageSize: 10, ...(maxItems === undefined ? {} : { maxItems }) },
      );
    expect(await list().toArray()).toEqual(data);
    expect(calls).toEqual([0, 10, 20]);
    calls.length = 0;
    expect(await list(12).toArray()).toEqual(data.slice(0, 12));
    expect(calls).toEqual([0, 10]);
  });

  it('refuses to loop when a server repeats a page token', async () => {
    const list = paginateByToken(async () => ({ items: [1], nextPageToken: 'same' }));
    const error = await rejectionOf(list.toArray());
    expect(MlopsError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('page token "same" twice');
  });

  it('rejects a page size that is not a positive integer', () => {
    expect(() => paginateByOffset(async () => ({ items: [] }), { pageSize: 0 })).toThrow(
      'pageSize must be a positive integer',
    );
  });
});
