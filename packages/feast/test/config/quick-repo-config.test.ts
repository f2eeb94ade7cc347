import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { quickRepoConfig } from '../../src/config/repo-config';
import { parseRepoConfig } from '../../src/config/repo-config-schema';

// feature_store.yaml is validated without zod when it is the usual kind (cold start); the zod schemas decide
// everything else. The quick validator must give exactly what the schemas give, and accept nothing they refuse.
const root = resolve(import.meta.dirname, '../../../..');
const files = [
  'platform/feast/feature_store.yaml',
  'platform/feast/sql-registry/feature_store.yaml',
  'platform/feast/redis-cluster/feature_store.yaml',
  'bench/feast-repo/feature_store.yaml',
  'bench/feast-offline-repo/feature_store.yaml',
];
const base = { project: 'p', registry: 'data/registry.db' };
const variants: unknown[] = [
  base,
  { project: 'p' },
  { ...base, provider: 'local', registry: { path: 'x.db', cache_ttl_seconds: 0, extra: 1 } },
  { ...base, registry: { registry_type: 'sql', path: 'postgresql://x' } },
  { ...base, registry: '' },
  { ...base, registry: { cache_ttl_seconds: 1.5 } },
  { ...base, registry: { cache_ttl_seconds: '5' } },
  { ...base, online_store: { type: 'redis' } },
  {
    ...base,
    online_store: { type: 'redis', redis_type: 'redis_cluster', connection_string: 'a:1,b:2,ssl=true' },
  },
  { ...base, online_store: { type: 'redis', redis_type: 'other' } },
  { ...base, online_store: { type: 'redis', key_ttl_seconds: null, skip_dedup: true } },
  { ...base, online_store: { type: 'redis', key_ttl_seconds: 0 } },
  { ...base, online_store: { type: 'redis', key_ttl_seconds: 60 } },
  { ...base, online_store: { type: 'redis', sentinel_master: 5 } },
  { ...base, online_store: { type: 'sqlite', path: 'x' } },
  { ...base, online_store: { path: 'x' } },
  { ...base, online_store: 'redis' },
  { ...base, offline_store: { type: 'postgres', host: 'h', database: 'd', user: 'u', password: '' } },
  {
    ...base,
    offline_store: {
      type: 'postgres',
      host: 'h',
      port: 1,
      database: 'd',
      db_schema: 's',
      user: 'u',
      password: 'p',
      sslmode: null,
    },
  },
  {
    ...base,
    offline_store: {
      type: 'postgres',
      host: 'h',
      database: 'd',
      user: 'u',
      password: 'p',
      sslmode: 'disable',
    },
  },
  { ...base, offline_store: { type: 'postgres', host: 'h', database: 'd', user: 'u' } },
  {
    ...base,
    offline_store: { type: 'postgres', host: 'h', port: '5432', database: 'd', user: 'u', password: 'p' },
  },
  { ...base, offline_store: { type: 'file' } },
  { ...base, offline_store: null },
  { ...base, entity_key_serialization_version: 2 },
  { ...base, entity_key_serialization_version: 4 },
  { ...base, entity_key_serialization_version: 2.5 },
  { ...base, auth: { type: 'oidc', client_id: 'x' } },
  { ...base, auth: { kind: 'x' } },
  { ...base, project: 'has-dash' },
  { ...base, project: 7 },
  { ...base, provider: 1 },
  null,
  [],
  'project: p',
];

function zodAnswer(raw: unknown): { config?: unknown; error?: string } {
  try {
    return { config: parseRepoConfig(raw, { repoPath: '/repo' }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('the quick feature_store.yaml validator', () => {
  it('takes every feature_store.yaml of this repository, and gives what the zod schemas give', () => {
    for (const file of files) {
      const raw = parse(readFileSync(resolve(root, file), 'utf8'));
      const quick = quickRepoConfig(raw, '/repo');
      expect(quick, file).toBeDefined();
      expect(quick, file).toEqual(zodAnswer(raw).config);
    }
  });

  it('accepts only what the schemas accept, with the same result', () => {
    let taken = 0;
    for (const raw of variants) {
      const quick = quickRepoConfig(raw, '/repo');
      const reference = zodAnswer(raw);
      if (quick === undefined) continue;
      taken++;
      expect(reference.error, JSON.stringify(raw)).toBeUndefined();
      expect(quick, JSON.stringify(raw)).toEqual(reference.config);
    }
    // It does take the usual ones (else the test above would prove nothing).
    expect(taken).toBeGreaterThanOrEqual(15);
  });
});
