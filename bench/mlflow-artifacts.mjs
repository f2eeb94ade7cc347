// Artifact round trips through MLflow's proxy (upload, then download to a fresh directory): one large file
// and a many-file model directory, @mlops/mlflow vs Python's mlflow (MlflowClient.log_artifact(s) +
// mlflow.artifacts.download_artifacts) vs curl (one PUT + one GET; for the tree, `curl --parallel` over
// every file). Ratios in one run, contenders interleaved per round (lib.mjs). Ours runs in a fresh Node
// process per measurement so its peak RSS growth is that round trip's alone.
//
// Environment: LARGE_MB (default 1024), TREE_FILES (2000), TREE_FILE_KB (8), ROUNDS (3), CONCURRENCY (4, for
// ours and curl's --parallel-max), MLFLOW_TRACKING_URI (http://127.0.0.1:5000).
// Needs the platform's MLflow (`pnpm platform up mlflow`) and `pnpm build` first.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeResults } from './lib.mjs';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const state = join(benchDir, '.state', 'mlflow-artifacts');
const trackingUri = process.env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:5000';
const python = join(repoRoot, 'platform/.state/venvs/mlflow/bin/python');
const LARGE_MB = Number(process.env.LARGE_MB ?? 1024);
const TREE_FILES = Number(process.env.TREE_FILES ?? 2000);
const TREE_FILE_KB = Number(process.env.TREE_FILE_KB ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);

// ---- child mode: one round trip with @mlops/mlflow, peak RSS measured in this fresh process.
if (process.argv[2] === '--child') {
  const [, , , kind, runId, local, artifactPath, dst] = process.argv;
  const { MlflowClient } = await import('@mlops/mlflow');
  const client = new MlflowClient({ trackingUri });
  const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
  const started = performance.now();
  if (kind === 'tree') await client.logArtifacts(runId, local, { artifactPath, concurrency: CONCURRENCY });
  else await client.logArtifact(runId, local, { artifactPath });
  await client.downloadArtifacts(runId, artifactPath, { dstPath: dst, concurrency: CONCURRENCY });
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, rssBeforeKb, peakKb: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

async function api(path, body) {
  const response = await fetch(`${trackingUri}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function deleteTree(runArtifactRoot, artifactPath) {
  // Untimed cleanup so the server's disk does not fill: DELETE on the proxy removes a file or a directory.
  await fetch(`${trackingUri}/api/2.0/mlflow-artifacts/artifacts/${runArtifactRoot}/${artifactPath}`, {
    method: 'DELETE',
  });
}

async function sha256(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

async function makeLarge(path, mb) {
  if (existsSync(path) && (await stat(path)).size === mb * 1024 * 1024) return;
  const out = createWriteStream(path);
  for (let i = 0; i < mb; i++) {
    if (!out.write(randomBytes(1024 * 1024))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

async function makeTree(dir, files, kb) {
  const marker = `${dir}.done`;
  if (existsSync(marker)) return;
  await rm(dir, { recursive: true, force: true });
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `layer${i % 20}`, `block${i % 7}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `w${i}.bin`), randomBytes(kb * 1024));
  }
  await writeFile(marker, '');
}

async function treeFiles(dir, rel = '') {
  const out = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await treeFiles(dir, r)));
    else out.push(r);
  }
  return out;
}

class PythonArtifacts {
  constructor() {
    this.child = spawn(python, [join(benchDir, 'mlflow_artifacts_python.py')], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        MLFLOW_TRACKING_URI: trackingUri,
        MLFLOW_ENABLE_TELEMETRY: 'false',
        DO_NOT_TRACK: 'true',
      },
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }
  async next() {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the Python artifact helper exited');
    return JSON.parse(value);
  }
  async call(request) {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    return this.next();
  }
}

async function main() {
  if (!existsSync(python)) throw new Error(`No mlflow venv at ${python}: pnpm platform up mlflow`);
  const health = await fetch(`${trackingUri}/health`).catch(() => undefined);
  if (!health?.ok) throw new Error(`MLflow is not answering at ${trackingUri}: pnpm platform up mlflow`);
  await mkdir(state, { recursive: true });
  const large = join(state, `large-${LARGE_MB}mb.bin`);
  const treeDir = join(state, `tree-${TREE_FILES}x${TREE_FILE_KB}kb`);
  console.log(`preparing ${LARGE_MB} MB file and ${TREE_FILES} × ${TREE_FILE_KB} KB tree in ${state}`);
  await makeLarge(large, LARGE_MB);
  await makeTree(treeDir, TREE_FILES, TREE_FILE_KB);
  const files = await treeFiles(treeDir);
  const largeSha = await sha256(large);

  const { experiment_id } = await api('/api/2.0/mlflow/experiments/create', {
    name: `bench-artifacts-${Date.now()}-${process.pid}`,
  });
  const created = await api('/api/2.0/mlflow/runs/create', { experiment_id, start_time: Date.now() });
  const runId = created.run.info.run_id;
  const root = created.run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const py = new PythonArtifacts();
  const ready = await py.next();
  console.log(`python mlflow ${ready.ready}; run ${runId}`);

  let seq = 0;
  const fresh = async (name) => {
    const dst = join(state, 'dst', `${name}-${seq++}`);
    await rm(dst, { recursive: true, force: true });
    await mkdir(dst, { recursive: true });
    return dst;
  };
  const url = (p) => `${trackingUri}/api/2.0/mlflow-artifacts/artifacts/${root}/${p}`;

  const contenders = {
    '@mlops/mlflow': async (kind) => {
      const artifactPath = `ours-${kind}-${seq}`;
      const dst = await fresh('ours');
      const local = kind === 'tree' ? treeDir : large;
      const out = JSON.parse(
        await run(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', kind, runId, local, artifactPath, dst],
          {
            cwd: benchDir,
          },
        ),
      );
      if (kind === 'large' && (await sha256(join(dst, artifactPath, `large-${LARGE_MB}mb.bin`))) !== largeSha)
        throw new Error('ours: the downloaded file differs');
      await rm(dst, { recursive: true, force: true });
      await deleteTree(root, artifactPath);
      return { ms: out.ms, rssGrowthKb: out.peakKb - out.rssBeforeKb };
    },
    'Python mlflow': async (kind) => {
      const artifactPath = `py-${kind}-${seq}`;
      const dst = await fresh('py');
      const out = await py.call({
        op: 'roundtrip',
        run_id: runId,
        local: kind === 'tree' ? treeDir : large,
        artifact_path: artifactPath,
        dst,
        tree: kind === 'tree',
      });
      await rm(dst, { recursive: true, force: true });
      await deleteTree(root, artifactPath);
      return { ms: out.ms };
    },
    curl: async (kind) => {
      const artifactPath = `curl-${kind}-${seq}`;
      const dst = await fresh('curl');
      const started = performance.now();
      if (kind === 'large') {
        await run('curl', ['-sSf', '-T', large, url(`${artifactPath}/large.bin`), '-o', '/dev/null']);
        await run('curl', ['-sSf', '-o', join(dst, 'large.bin'), url(`${artifactPath}/large.bin`)]);
      } else {
        const up = files.map(
          (f) =>
            `upload-file = "${join(treeDir, f)}"\nurl = "${url(`${artifactPath}/${f}`)}"\noutput = "/dev/null"\n`,
        );
        const down = files.map((f) => `url = "${url(`${artifactPath}/${f}`)}"\noutput = "${join(dst, f)}"\n`);
        await writeFile(join(state, 'curl-up.cfg'), up.join(''));
        await writeFile(join(state, 'curl-down.cfg'), down.join(''));
        const parallel = ['--parallel', '--parallel-max', String(CONCURRENCY), '--create-dirs', '-sSf'];
        await run('curl', [...parallel, '-K', join(state, 'curl-up.cfg')]);
        await run('curl', [...parallel, '-K', join(state, 'curl-down.cfg')]);
      }
      const ms = performance.now() - started;
      await rm(dst, { recursive: true, force: true });
      await deleteTree(root, artifactPath);
      return { ms };
    },
  };

  const names = Object.keys(contenders);
  const samples = { large: {}, tree: {} };
  for (const kind of ['large', 'tree']) {
    for (const n of names) samples[kind][n] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length];
        const result = await contenders[name](kind);
        samples[kind][name].push(result);
        console.log(`${kind} round ${round} ${name}: ${result.ms.toFixed(0)} ms`);
      }
    }
  }
  py.child.stdin.end();

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)];
  };
  const largeBytes = LARGE_MB * 1024 * 1024 * 2;
  const treeBytes = TREE_FILES * TREE_FILE_KB * 1024 * 2;
  const med = (kind, name) => median(samples[kind][name].map((r) => r.ms));
  const mbps = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000);
  const rssGrowthMb = Math.max(...samples.large['@mlops/mlflow'].map((r) => r.rssGrowthKb)) / 1024;
  const result = {
    when: new Date().toISOString(),
    scale: { LARGE_MB, TREE_FILES, TREE_FILE_KB, ROUNDS, CONCURRENCY },
    machine: { cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg() },
    medianMs: Object.fromEntries(
      ['large', 'tree'].map((k) => [k, Object.fromEntries(names.map((n) => [n, med(k, n)]))]),
    ),
    targets: {
      'large: ours ≥ 0.9 × curl throughput': {
        value: med('large', 'curl') / med('large', '@mlops/mlflow'),
        holds: med('large', 'curl') / med('large', '@mlops/mlflow') >= 0.9,
      },
      'tree: ours ≥ 2 × Python': {
        value: med('tree', 'Python mlflow') / med('tree', '@mlops/mlflow'),
        holds: med('tree', 'Python mlflow') / med('tree', '@mlops/mlflow') >= 2,
      },
      'large: peak RSS growth < 64 MB': { value: rssGrowthMb, holds: rssGrowthMb < 64 },
    },
  };
  const rows = ['large', 'tree'].flatMap((kind) =>
    names.map((n) => {
      const ms = med(kind, n);
      const bytes = kind === 'large' ? largeBytes : treeBytes;
      return `| ${kind === 'large' ? `${LARGE_MB} MB file` : `${TREE_FILES} files × ${TREE_FILE_KB} KB`} | ${n} | ${ms.toFixed(0)} | ${mbps(bytes, ms).toFixed(1)} | ${(med(kind, '@mlops/mlflow') / ms).toFixed(2)} |`;
    }),
  );
  const markdown = [
    `Artifact round trip (upload + download), median of ${ROUNDS} rounds; load average ${result.machine.loadavg.map((l) => l.toFixed(1)).join(' ')} on ${result.machine.cpus} cores.`,
    '',
    '| data | contender | ms | MB/s | ours ms / this ms |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...Object.entries(result.targets).map(
      ([k, t]) => `- ${k}: ${t.value.toFixed(2)} → ${t.holds ? 'holds' : 'MISSED'}`,
    ),
  ].join('\n');
  console.log(`\n${markdown}`);
  writeResults('mlflow-artifacts', result, markdown);
}

await main();
