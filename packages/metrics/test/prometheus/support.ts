// The Prometheus servers the tests talk to: the platform's shared 2.42 (Debian) and 3.x (built by `platform up
// prometheus3`), read-only, plus private servers a test starts from the same binaries with its own config (rules
// that fire, a dropped target, native histograms), on a free port and in a temporary directory, stopped after.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readPins } from '../../../../scripts/pins.mjs';

export const root = resolve(import.meta.dirname, '../../../..');
export const pins: Record<string, string> = readPins();

export interface Server {
  readonly name: string;
  readonly url: string;
  /** The major the server runs: 2 (the pinned Debian 2.42) or 3. */
  readonly major: 2 | 3;
}

export const shared2: Server = {
  name: '2.42 (platform)',
  url: `http://127.0.0.1:${pins.PROMETHEUS_PORT}`,
  major: 2,
};
export const shared3: Server = {
  name: `${pins.PROMETHEUS3_VERSION} (platform)`,
  url: `http://127.0.0.1:${pins.PROMETHEUS3_PORT}`,
  major: 3,
};
export const sharedServers = [shared2, shared3];

const binaries = {
  2: { path: '/usr/bin/prometheus', start: 'pnpm platform up prometheus' },
  3: {
    path: join(root, `platform/.state/tools/prometheus-${pins.PROMETHEUS3_VERSION}/prometheus`),
    start: 'pnpm platform up prometheus3',
  },
} as const;

const checked = new Map<string, Promise<void>>();
/** Fails (never skips) when a shared server is down, with the command that starts it. */
export function requireServer(server: Server): Promise<void> {
  let check = checked.get(server.url);
  if (!check) {
    check = fetch(`${server.url}/-/ready`).then(
      (response) => {
        if (!response.ok) throw new Error(`answered ${response.status}`);
      },
      (error: unknown) => {
        throw new Error(
          `Prometheus ${server.name} is not running at ${server.url}: start it with \`${binaries[server.major].start}\` (${String(error)})`,
        );
      },
    );
    checked.set(server.url, check);
  }
  return check;
}

/** Rules that give every shape: a recording rule, a firing alert, a pending alert (for + keep_firing_for). */
export const RULES = `groups:
  - name: contract
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels: {severity: test}
        annotations: {summary: always firing}
      - alert: LongPending
        expr: vector(2)
        for: 1h
        keep_firing_for: 5m
`;

export interface PrivateServer extends Server {
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A Prometheus of our own (same binary as the platform's): scrapes itself every second (3.x with native histograms:
 * its own HTTP latency histograms have native buckets), evaluates RULES, drops one target by relabelling.
 */
export async function startPrivate(major: 2 | 3): Promise<PrivateServer> {
  const binary = binaries[major];
  if (!existsSync(binary.path))
    throw new Error(`No Prometheus ${major}.x binary at ${binary.path}: install it with \`${binary.start}\``);
  const dir = mkdtempSync(join(tmpdir(), `mlops-prom${major}-`));
  const port = await freePort();
  writeFileSync(join(dir, 'rules.yml'), RULES);
  const nativeScrape = major === 3 ? '\n    scrape_native_histograms: true' : '';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [${join(dir, 'rules.yml')}]
scrape_configs:
  - job_name: self${nativeScrape}
    static_configs: [{targets: ["127.0.0.1:${port}"]}]
  - job_name: dropped
    static_configs: [{targets: ["127.0.0.1:1"]}]
    relabel_configs: [{action: drop, source_labels: [job], regex: dropped}]
`,
  );
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ];
  const child: ChildProcess = spawn(binary.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Prometheus ${major}.x exited (${child.exitCode}): ${stderr}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus ${major}.x at ${url} not ready after 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name: `${major}.x (private)`, url, major, stop };
}

/** Polls `probe` until it returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
