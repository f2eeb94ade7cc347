// `mlops models resolve|pull` against the platform's MLflow, on a model registered here under a unique name (an
// MLflow 3 logged model with an MLmodel, a weights file and a nested file): resolve says what
// MlflowClient.resolveModel says plus the files; pull downloads them byte for byte with a progress bar in bytes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../src/cli/program';
import { mlops } from './support/cli';
import { root } from './support/platform';

const trackingUri = 'http://127.0.0.1:5000';
const name = `cli-models-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'mlops-cli-models-'));
const modelDir = join(dir, 'model');
const weights = Buffer.alloc(300_000, 9);
const mlmodel = [
  'artifact_path: model',
  'flavors:',
  '  onnx:',
  '    data: model.onnx',
  '    onnx_version: 1.17.0',
  '  python_function:',
  '    loader_module: mlflow.onnx',
  'mlflow_version: 3.18.0',
  'signature:',
  `  inputs: '[{"type": "double", "name": "conv_rate", "required": true}, {"type": "long", "name": "avg_daily_trips", "required": false}]'`,
  '  outputs: \'[{"type": "long", "required": true}]\'',
  '',
].join('\n');
const mlflow = new MlflowClient({ trackingUri });
let version = '';
let runId = '';

beforeAll(async () => {
  await fetch(`${trackingUri}/health`).catch((error: unknown) => {
    throw new Error(
      `MLflow is not running at ${trackingUri}: start it with \`pnpm platform up mlflow\` (${String(error)})`,
    );
  });
  mkdirSync(join(modelDir, 'extra'), { recursive: true });
  writeFileSync(join(modelDir, 'MLmodel'), mlmodel);
  writeFileSync(join(modelDir, 'model.onnx'), weights);
  writeFileSync(join(modelDir, 'extra', 'labels.txt'), 'no\nyes\n');
  const run = await mlflow.createRun('0', { runName: name });
  runId = run.info.runId;
  const logged = await mlflow.createLoggedModel('0', {
    name: 'cli-model',
    modelType: 'onnx',
    sourceRunId: runId,
  });
  await mlflow.logArtifacts({ loggedModelId: logged.modelId }, modelDir);
  await mlflow.finalizeLoggedModel(logged.modelId, 'LOGGED_MODEL_READY');
  await mlflow.createRegisteredModel(name);
  const created = await mlflow.createModelVersion(name, `models:/${logged.modelId}`, {
    modelId: logged.modelId,
  });
  version = created.version;
  await mlflow.setRegisteredModelAlias(name, 'champion', version);
}, 60_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  // What this file made goes (other helpers share the server); a failed clean-up must not hide a test's result.
  await mlflow.deleteRegisteredModel(name).catch(() => undefined);
  if (runId) await mlflow.deleteRun(runId).catch(() => undefined);
});

describe('mlops models resolve', () => {
  it('--json says what resolveModel says, with the files', async () => {
    const uri = `models:/${name}@champion`;
    const { code, stdout, stderr } = await mlops(['models', 'resolve', uri, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const expected = await mlflow.resolveModel(uri);
    const parsed = JSON.parse(stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      uri,
      version: { name, version, status: 'READY' },
      run: {
        runId,
        runName: name,
        experimentId: '0',
        status: 'RUNNING',
        artifactUri: expected.run?.artifactUri,
      },
      loggedModel: { modelId: expected.loggedModel?.modelId, name: 'cli-model' },
      artifactUri: expected.artifactUri,
      flavors: expected.mlmodel.flavors,
      signature: JSON.parse(JSON.stringify(expected.mlmodel.signature)),
      mlflowVersion: '3.18.0',
    });
    expect(parsed.files).toEqual([
      { path: 'MLmodel', size: Buffer.byteLength(mlmodel) },
      { path: 'extra/labels.txt', size: 7 },
      { path: 'model.onnx', size: weights.length },
    ]);
  });

  it('prints version, flavors, signature and files', async () => {
    const { code, stdout } = await mlops(['models', 'resolve', `models:/${name}/${version}`]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(`version:   ${name} v${version} (READY`);
    expect(stdout).toContain('flavors:   onnx, python_function');
    expect(stdout).toContain(
      '  in   conv_rate: double\n  in   avg_daily_trips: long (optional)\n  out  (unnamed): long\n',
    );
    expect(stdout).toMatch(new RegExp(`^model\\.onnx\\s+${weights.length}$`, 'm'));
    expect(stdout).toContain('files (3):');
  });

  it('a malformed URI is a usage error (2); an unknown model fails (1)', async () => {
    const bad = await mlops(['models', 'resolve', 'model:/x']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/^mlops: .*models:\//);
    const missing = await mlops(['models', 'resolve', `models:/${name}-missing/1`, '--json']);
    expect(missing.code).toBe(EXIT.failed);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { exitCode: EXIT.failed } });
  });
});

describe('mlops models pull', () => {
  it('downloads every file byte for byte into --dir, with a progress bar in bytes on a terminal', async () => {
    const target = join(dir, 'pulled');
    let bar = '';
    // A terminal as cli-progress sees one.
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          bar += chunk.toString();
          done();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    let stdout = '';
    const code = await runCli(['models', 'pull', `models:/${name}@champion`, '--dir', target], {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        bar += text;
      },
      stderrStream: stream,
      isTTY: true,
      cwd: root,
      env: {},
      platformOptions: { mlflow: { trackingUri } },
    });
    expect(code).toBe(EXIT.ok);
    const total = weights.length + Buffer.byteLength(mlmodel) + 7;
    expect(stdout).toBe(`pulled ${name} v${version}: 3 files, ${total} bytes into ${target}\n`);
    expect(bar).toContain(`${total}/${total} bytes | 3/3 files`);
    expect(readFileSync(join(target, 'model.onnx'))).toEqual(weights);
    expect(readFileSync(join(target, 'MLmodel'), 'utf8')).toBe(mlmodel);
    expect(readFileSync(join(target, 'extra', 'labels.txt'), 'utf8')).toBe('no\nyes\n');
  });

  it('--json reports what was pulled, and --dir is required', async () => {
    const target = join(dir, 'pulled-json');
    const { code, stdout } = await mlops([
      'models',
      'pull',
      `models:/${name}/${version}`,
      '-d',
      target,
      '--json',
    ]);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout)).toEqual({
      uri: `models:/${name}/${version}`,
      dir: target,
      version: { name, version },
      runId,
      files: 3,
      bytes: weights.length + Buffer.byteLength(mlmodel) + 7,
    });
    const missing = await mlops(['models', 'pull', `models:/${name}/${version}`]);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain("required option '-d, --dir <dir>' not specified");
  });
});
