// The platform's Elasticsearch servers for the log tests (`pnpm platform up elasticsearch elasticsearch9`), names
// unique per run, and counting documents back.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readPins } from '../../../../scripts/pins.mjs';

export const root = resolve(import.meta.dirname, '../../../..');
export const pins: Record<string, string> = readPins();

export interface EsTarget {
  /** The platform component. */
  component: 'elasticsearch' | 'elasticsearch9';
  version: string;
  url: string;
}

/** Elasticsearch 8 (the pinned one) and 9, both from Maven Central's integ-test-zip. */
export const esTargets: EsTarget[] = [
  {
    component: 'elasticsearch',
    version: pins.ELASTICSEARCH_VERSION as string,
    url: process.env.ELASTICSEARCH_URL || `http://127.0.0.1:${pins.ELASTICSEARCH_PORT}`,
  },
  {
    component: 'elasticsearch9',
    version: pins.ELASTICSEARCH9_VERSION as string,
    url: process.env.ELASTICSEARCH9_URL || `http://127.0.0.1:${pins.ELASTICSEARCH9_PORT}`,
  },
];

/** Fails loudly, with the command that starts it, when the server is not there or is another version. */
export async function requireElasticsearch(target: EsTarget): Promise<void> {
  const start = `run \`pnpm platform up ${target.component}\` (scripts/test.sh starts it)`;
  let version: string | undefined;
  try {
    const res = await fetch(`${target.url}/_nodes/_local?filter_path=nodes.*.version`);
    const body = (await res.json()) as { nodes?: Record<string, { version: string }> };
    version = Object.values(body.nodes ?? {})[0]?.version;
  } catch (error) {
    throw new Error(
      `Elasticsearch ${target.version} is not running at ${target.url}: ${start}. (${String(error)})`,
    );
  }
  if (version !== target.version) {
    throw new Error(
      `${target.url} runs Elasticsearch ${version}, not the pinned ${target.version}: ${start}.`,
    );
  }
}

/** A data stream name no other test run uses: `logs-mlopstest.<what>-<random>`. */
export function uniqueDataStream(what: string): string {
  return `logs-mlopstest.${what}-${randomBytes(4).toString('hex')}`;
}

async function es<T>(
  url: string,
  path: string,
  body?: unknown,
  method = body === undefined ? 'GET' : 'POST',
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Refreshes the data stream and counts its documents (optionally matching a query). */
export async function countDocs(url: string, index: string, query?: unknown): Promise<number> {
  await es(url, `/${index}/_refresh`, undefined, 'POST');
  const body = await es<{ count: number }>(url, `/${index}/_count`, query === undefined ? {} : { query });
  return body.count;
}

/** Values of a numeric field that occur more than once (a terms aggregation with min_doc_count 2). */
export async function duplicatedValues(url: string, index: string, field: string): Promise<number[]> {
  await es(url, `/${index}/_refresh`, undefined, 'POST');
  const body = await es<{ aggregations: { dup: { buckets: Array<{ key: number }> } } }>(
    url,
    `/${index}/_search`,
    { size: 0, aggs: { dup: { terms: { field, min_doc_count: 2, size: 100 } } } },
  );
  return body.aggregations.dup.buckets.map((b) => b.key);
}

export function search<T>(url: string, index: string, body: unknown): Promise<T> {
  return es<T>(url, `/${index}/_search`, body);
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A throwaway Elasticsearch 8 of our own (the platform's install under .state/tools, a temporary config and data
 * dir, free ports), so a test can kill it without touching the platform's server. Restartable on the same data.
 */
export class OwnElasticsearch {
  readonly url: string;
  readonly #dir: string;
  readonly #home: string;
  readonly #javaHome: string;
  #child: ChildProcess | undefined;

  private constructor(dir: string, home: string, javaHome: string, port: number) {
    this.#dir = dir;
    this.#home = home;
    this.#javaHome = javaHome;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(): Promise<OwnElasticsearch> {
    const home = join(root, 'platform/.state/tools', `elasticsearch-${pins.ELASTICSEARCH_VERSION}`);
    if (!existsSync(join(home, 'bin/elasticsearch'))) {
      throw new Error(
        `Elasticsearch ${pins.ELASTICSEARCH_VERSION} is not installed (${home}): run \`pnpm platform up elasticsearch\`.`,
      );
    }
    const javaHome = findJava(Number(pins.ELASTICSEARCH_JAVA_MIN));
    const dir = mkdtempSync(join(tmpdir(), 'mlops-es-kill-'));
    const [port, transport] = [await freePort(), await freePort()];
    mkdirSync(join(dir, 'conf'), { recursive: true });
    for (const f of ['jvm.options', 'log4j2.properties'])
      cpSync(join(home, 'config', f), join(dir, 'conf', f));
    if (existsSync(join(home, 'config/jvm.options.d'))) {
      cpSync(join(home, 'config/jvm.options.d'), join(dir, 'conf/jvm.options.d'), { recursive: true });
    }
    writeFileSync(
      join(dir, 'conf/elasticsearch.yml'),
      [
        'discovery.type: single-node',
        'network.host: 127.0.0.1',
        `http.port: ${port}`,
        `transport.port: ${transport}`,
        `path.data: ${join(dir, 'data')}`,
        `path.logs: ${join(dir, 'logs')}`,
        'xpack.security.enabled: false',
        'cluster.routing.allocation.disk.threshold_enabled: false',
        '',
      ].join('\n'),
    );
    for (const d of ['data', 'logs', 'tmp']) mkdirSync(join(dir, d));
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${pins.ELASTICSEARCH_USER}:`, dir]);
    return new OwnElasticsearch(dir, home, javaHome, port);
  }

  /** Starts the server and waits until it answers (up to 120 s). */
  async start(): Promise<void> {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ES_JAVA_HOME: this.#javaHome,
      ES_PATH_CONF: join(this.#dir, 'conf'),
      ES_TMPDIR: join(this.#dir, 'tmp'),
      ES_JAVA_OPTS: '-Xms256m -Xmx256m -XX:-AlwaysPreTouch',
    };
    const cmd = join(this.#home, 'bin/elasticsearch');
    const asRoot = process.getuid?.() === 0;
    this.#child = asRoot
      ? spawn(
          'runuser',
          [
            '-u',
            pins.ELASTICSEARCH_USER as string,
            '--',
            'env',
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
            cmd,
          ],
          {
            detached: true,
            stdio: 'ignore',
          },
        )
      : spawn(cmd, [], { detached: true, stdio: 'ignore', env });
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null)
        throw new Error(`our Elasticsearch exited (${this.#child.exitCode}); logs in ${this.#dir}/logs`);
      try {
        const res = await fetch(`${this.url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
        if (res.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`our Elasticsearch did not start in 120 s; logs in ${this.#dir}/logs`);
  }

  /** SIGKILL of the whole process group (launcher and server JVM): no shutdown, no flush. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
    // The JVM is the launcher's child in the same group; wait until the HTTP port is closed.
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${this.url}/_cluster/health`);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function findJava(min: number): string {
  if (process.env.ES_JAVA_HOME) return process.env.ES_JAVA_HOME;
  for (const name of readdirSync('/usr/lib/jvm').sort()) {
    const java = join('/usr/lib/jvm', name, 'bin/java');
    if (!existsSync(java)) continue;
    const match = /version "(\d+)/.exec(spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr);
    if (match && Number(match[1]) >= min) return join('/usr/lib/jvm', name);
  }
  throw new Error(`no JDK >= ${min} under /usr/lib/jvm for Elasticsearch; set ES_JAVA_HOME`);
}
