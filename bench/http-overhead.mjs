// What the @mlops/core pipeline costs over a bare fetch, on loopback, in one interleaved run.
// Usage: pnpm --filter @mlops/bench http   (build first: pnpm build)   [ROUNDS=2000]
import { createServer } from 'node:http';
import { createHttpClient } from '@mlops/core';
import { interleave, summarise, writeResults } from './lib.mjs';

const rounds = Number(process.env.ROUNDS ?? 2000);
const body = JSON.stringify({
  models: Array.from({ length: 20 }, (_, i) => ({
    name: `model-${i}`,
    version: i,
    created_at: '2026-01-01T00:00:00Z',
  })),
});
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const client = createHttpClient({ service: 'bench', baseUrl: base });
const contenders = {
  'raw fetch + json()': async () => (await fetch(`${base}/models?max_results=20`)).json(),
  '@mlops/core get()': () => client.get('/models', { params: { query: { max_results: 20 } } }),
};
const samples = await interleave(contenders, { rounds, warmup: 200 });
server.close();

const stats = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, summarise(s)]));
const reference = stats['raw fetch + json()'];
const ours = stats['@mlops/core get()'];
const result = {
  benchmark: 'http-overhead',
  runtime: `node ${process.versions.node}`,
  rounds,
  stats,
  ratios: { p50: ours.p50 / reference.p50, p99: ours.p99 / reference.p99 },
};
const fmt = (ms) => `${(ms * 1000).toFixed(0)} µs`;
const markdown = [
  `HTTP overhead, node ${process.versions.node}, ${rounds} interleaved rounds, loopback, 2 KB JSON`,
  '',
  '| contender | p50 | p99 | p50 ratio |',
  '|---|---|---|---|',
  ...Object.entries(stats).map(
    ([name, s]) => `| ${name} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${(s.p50 / reference.p50).toFixed(2)}× |`,
  ),
].join('\n');
writeResults('http-overhead', result, markdown);
process.stdout.write(`${markdown}\n`);
