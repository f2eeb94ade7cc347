// Every TypeScript code block of packages/feast/README.md runs, as written, against the local platform: each is
// bundled from this package's sources and run as its own Node process from a folder that holds the demo repo at
// `platform/feast`, as a clone's root does. That folder's repo is a copy whose registry file is a copy too, so the
// blocks that record materializations change nothing other tests read; Redis and PostgreSQL are the platform's
// (the one row the serving block writes, driver 5001, is deleted afterwards).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKey } from '../src/codec/entity-key';
import { ValueType } from '../src/codec/value-type';
import { bundleScript } from './support/bundle';
import { feastRepo, pins, root } from './support/platform';

const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m, i) => {
  const line = readme.slice(0, m.index).split('\n').length;
  return { name: `block ${i + 1} (README.md line ${line})`, code: m[1]! };
});

/** A folder with platform/feast: the demo repo with its registry file copied in (absolute path). */
function demoClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-feast-readme-'));
  const repo = join(dir, 'platform/feast');
  mkdirSync(repo, { recursive: true });
  cpSync(feastRepo, repo, { recursive: true });
  const registry = join(dir, 'registry.db');
  copyFileSync(join(root, 'platform/.state/data/feast/registry.db'), registry);
  const yaml = readFileSync(join(repo, 'feature_store.yaml'), 'utf8').replace(
    /path: \.\.\/\.state\/data\/feast\/registry\.db/,
    `path: ${registry}`,
  );
  if (!yaml.includes(registry))
    throw new Error('the demo feature_store.yaml no longer names its registry as expected');
  writeFileSync(join(repo, 'feature_store.yaml'), yaml);
  return dir;
}

const redis = new Redis({ host: '127.0.0.1', port: Number(pins.REDIS_PORT) });
afterAll(async () => {
  await redis.del(
    Buffer.from(redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 5001n }], 'mlops_demo')),
  );
  redis.disconnect();
});

describe('README.md code blocks run as written', { timeout: 240_000 }, () => {
  const cwd = demoClone();

  it('has the blocks this test expects (serving, on-demand, training, materialization, registry, ...)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    expect(blocks.filter((b) => b.code.includes("repoPath: 'platform/feast'"))).toHaveLength(6);
  });

  /** What the blocks' comments say, checked: a line of JSON printed after the block runs. */
  const claims: Array<{ defines: RegExp; print: string; expected: unknown }> = [
    {
      defines: /const result = await store\.getOnlineFeatures/,
      print: `{ statuses: result.columns.conv_rate.statuses, rows: result.toObjects().map((r) => ({ ...r, avg_daily_trips: String(r.avg_daily_trips) })), arrow: String((await result.toArrow()).schema.fields[0].type) }`,
      expected: {
        statuses: ['PRESENT', 'NOT_FOUND'],
        rows: [
          { driver_id: 1001, conv_rate: 0.7360000014305115, avg_daily_trips: '105' },
          { driver_id: 4242, conv_rate: null, avg_daily_trips: 'null' },
        ],
        arrow: 'Int64',
      },
    },
    {
      defines: /const scored = /,
      print: 'scored.columns.conv_rate_plus_val1.values.map((v) => Math.floor(v))',
      expected: [1, 2],
    },
  ];

  it.each(blocks)('$name', async ({ name, code }) => {
    const claim = claims.find((c) => c.defines.test(code));
    const source = claim ? `${code}\nconsole.log('@@' + JSON.stringify(${claim.print}));\n` : code;
    const file = await bundleScript(`readme-${name.replace(/\W+/g, '-')}`, source, import.meta.dirname);
    const result = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 180_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    if (claim) {
      const line = result.stdout.split('\n').find((l) => l.startsWith('@@'));
      expect(JSON.parse(line?.slice(2) ?? 'null')).toEqual(claim.expected);
    }
  });
});
