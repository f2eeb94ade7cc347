// Cold start of @mlops/feast: what a serving process pays before its first answer. Each contender is a fresh
// Node process (spawned, its whole wall time measured from here), interleaved round by round so drift on the
// shared machine hits all alike:
//   bare          node doing nothing (the floor of any process)
//   core          import('@mlops/core')
//   feast         import('@mlops/feast')
//   feast+online  import('@mlops/feast'), new FeatureStore(platform/feast), the first getOnlineFeatures
// Each child also reports, from inside, how long its import took (and its first read) and which third-party
// packages it loaded: an online-only service must not load apache-arrow, pg, pg-copy-streams or yaml at import.
// Targets (issue 16): import ≤ 2× core alone (in-process import time); import + first getOnlineFeatures ≤ 150 ms.
//
//   pnpm build && pnpm --filter @mlops/bench feast-cold-start     (platform up: Redis and the demo repo)
//   ROUNDS=5 pnpm --filter @mlops/bench feast-cold-start           (quick)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interleave, summarise, writeResults } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoPath = fileURLToPath(new URL('../platform/feast', import.meta.url));
const rounds = Number(process.env.ROUNDS ?? 15);

/** Records the bare names of the packages a child resolves (module.registerHooks, Node ≥ 22.15). */
const probe = `
import { registerHooks } from 'node:module';
const loaded = new Set();
registerHooks({ resolve(s, c, next) { if (!/^(\\.|node:|file:|\\/)/.test(s)) loaded.add(s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/')); return next(s, c); } });
const t0 = performance.now();
`;

const children = {
  bare: '',
  core: `${probe} await import('@mlops/core'); const importMs = performance.now() - t0;
    console.log(JSON.stringify({ importMs, loaded: [...loaded] }));`,
  feast: `${probe} await import('@mlops/feast'); const importMs = performance.now() - t0;
    console.log(JSON.stringify({ importMs, loaded: [...loaded] }));`,
  'feast+online': `${probe} const { FeatureStore } = await import('@mlops/feast'); const importMs = performance.now() - t0;
    const store = new FeatureStore({ repoPath: ${JSON.stringify(repoPath)} });
    const result = await store.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate'], entityRows: [{ driver_id: 1001 }] });
    const firstMs = performance.now() - t0;
    if (result.rowCount !== 1) throw new Error('no row');
    console.log(JSON.stringify({ importMs, firstMs, loaded: [...loaded] }));
    await store.close();`,
};

const inside = Object.fromEntries(Object.keys(children).map((name) => [name, []]));
const contenders = Object.fromEntries(
  Object.entries(children).map(([name, code]) => [
    name,
    async () => {
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        cwd: here,
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`${name} failed (${run.status}): ${run.stderr}`);
      if (code) inside[name].push(JSON.parse(run.stdout.trim().split('\n').at(-1)));
    },
  ]),
);

const samples = await interleave(contenders, { rounds, warmup: 2 });
const median = (values) => summarise(values).p50;
const wall = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, median(s)]));
const importMs = Object.fromEntries(
  Object.entries(inside)
    .filter(([, runs]) => runs.length > 0)
    .map(([name, runs]) => [name, median(runs.map((r) => r.importMs))]),
);
const firstMs = median(inside['feast+online'].map((r) => r.firstMs));
const loaded = Object.fromEntries(
  Object.entries(inside)
    .filter(([, runs]) => runs.length > 0)
    .map(([name, runs]) => [name, runs.at(-1).loaded.sort()]),
);
const heavy = [
  'apache-arrow',
  'pg',
  'pg-copy-streams',
  'yaml',
  '@connectrpc/connect',
  '@connectrpc/connect-node',
];
const heavyAtImport = loaded.feast.filter((name) => heavy.includes(name));

const result = {
  rounds,
  wallMs: wall,
  importMs,
  firstOnlineMs: firstMs,
  ratios: {
    feastImportOverCoreImport: importMs.feast / importMs.core,
    feastWallOverCoreWall: wall.feast / wall.core,
  },
  loadedAtImport: loaded.feast,
  loadedByFirstOnlineRead: loaded['feast+online'],
  heavyAtImport,
};
const f = (ms) => ms.toFixed(1);
const markdown = [
  `# feast cold start (${rounds} rounds, medians, ms)`,
  '',
  '| contender | whole process (wall) | import, in-process | import + first getOnlineFeatures |',
  '|---|---:|---:|---:|',
  `| bare node | ${f(wall.bare)} | — | — |`,
  `| @mlops/core | ${f(wall.core)} | ${f(importMs.core)} | — |`,
  `| @mlops/feast | ${f(wall.feast)} | ${f(importMs.feast)} | — |`,
  `| @mlops/feast + first online read | ${f(wall['feast+online'])} | ${f(importMs['feast+online'])} | ${f(firstMs)} |`,
  '',
  `feast import / core import: ${result.ratios.feastImportOverCoreImport.toFixed(2)}× (target ≤ 2×); import + first getOnlineFeatures: ${f(firstMs)} ms (target ≤ 150 ms).`,
  '',
  `Packages loaded by \`import('@mlops/feast')\`: ${loaded.feast.join(', ')}${heavyAtImport.length ? ` — heavy ones: ${heavyAtImport.join(', ')}` : ' (none of apache-arrow, pg, pg-copy-streams, yaml, connect)'}.`,
  `By the first online read: ${loaded['feast+online'].join(', ')}.`,
].join('\n');
console.log(markdown);
writeResults('feast-cold-start', result, markdown);
