import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DagRun } from '../../src/index';

/** An msw server for one test file; any request without a handler is an error. */
export function useMswServer() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

export const BASE = 'http://airflow.test';

/** A JWT-shaped token (unsigned) expiring in `seconds`: the client reads only exp and iat. */
export function fakeJwt(seconds: number, id = 'x'): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(
    JSON.stringify({ sub: 'admin', iat: now, exp: now + seconds, jti: id }),
  ).toString('base64url');
  return `eyJhbGciOiJIUzUxMiJ9.${payload}.sig`;
}

export function dagRun(overrides: Partial<DagRun> = {}): DagRun {
  return {
    dag_id: 'd',
    dag_run_id: 'r',
    dag_display_name: 'd',
    state: 'running',
    conf: {},
    run_type: 'manual',
    run_after: '2026-01-01T00:00:00Z',
    logical_date: null,
    start_date: null,
    end_date: null,
    data_interval_start: null,
    data_interval_end: null,
    duration: null,
    last_scheduling_decision: null,
    note: null,
    queued_at: null,
    triggered_by: 'rest_api',
    triggering_user_name: 'admin',
    bundle_version: null,
    dag_versions: [],
    partition_key: null,
    partition_date: null,
    ...overrides,
  };
}

export function taskInstance(overrides: Record<string, unknown> = {}) {
  return {
    task_id: 't',
    map_index: -1,
    state: 'failed',
    try_number: 1,
    dag_id: 'd',
    dag_run_id: 'r',
    id: 'ti',
    ...overrides,
  };
}
