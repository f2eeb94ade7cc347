// The README's Prometheus quick start, run as written against the platform's Prometheus (the block after
// `<!-- quickstart:prometheus -->`), with `@mlops/metrics` pointing at this package's sources.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixResult, QueryResult } from '../../src/index';
import { requireServer, shared2 } from './support';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const dir = new URL('./.quickstarts/', import.meta.url);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => requireServer(shared2));

describe('README Prometheus quick start', () => {
  it('runs: an instant vector, a day of a range query into Arrow, a bad_data error caught', async () => {
    const match = /<!-- quickstart:prometheus -->\n```ts\n([\s\S]*?)\n```\n/.exec(readme);
    if (!match?.[1]) throw new Error('README.md has no quick start marked <!-- quickstart:prometheus -->');
    const code = match[1].replace("from '@mlops/metrics'", "from '../../../src/index'");
    mkdirSync(dir, { recursive: true });
    const file = new URL(`prometheus-${Date.now()}.ts`, dir);
    writeFileSync(file, `${code}\nexport { now, day, table };\n`);
    const { now, day, table } = (await import(/* @vite-ignore */ file.href)) as {
      now: QueryResult;
      day: MatrixResult;
      table: Table;
    };
    expect(now.resultType).toBe('vector');
    expect(day.resultType).toBe('matrix');
    expect(table.numRows).toBe(day.result.reduce((n, s) => n + s.values.length, 0));
  });
});
