import { resolve } from 'node:path';
import type { ColSpec, MlflowType, ResolvedModel, TensorSpec, TransferProgress } from '@mlops/mlflow';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type CliContext, commandGroup } from './context';
import { examples } from './exit-codes';
import { toJson } from './json';
import { table } from './table';

const MODELS = 'MLflow models: resolve a models:/ or runs:/ URI, pull its files';

function typeText(type: MlflowType): string {
  if (typeof type === 'string') return type;
  if (type.type === 'array') return `array<${typeText(type.items)}>`;
  if (type.type === 'map') return `map<${typeText(type.values)}>`;
  if (type.type === 'object') {
    const fields = Object.entries(type.properties).map(
      ([name, p]) => `${name}${p.required ? '' : '?'}: ${typeText(p.type)}`,
    );
    return `{${fields.join(', ')}}`;
  }
  return 'any';
}

function specText(spec: ColSpec | TensorSpec): string {
  return spec.kind === 'column'
    ? `${spec.name ?? '(unnamed)'}: ${typeText(spec.type)}${spec.required ? '' : ' (optional)'}`
    : `${spec.name ?? '(unnamed)'}: tensor ${spec.dtype} [${spec.shape.join(', ')}]`;
}

/** The `--json` of `models resolve`: what a script needs to find, check and fetch the model. */
function resolvedJson(model: ResolvedModel, files: Array<{ path: string; size: number | undefined }>) {
  const v = model.modelVersion;
  return {
    uri: model.uri,
    version: v
      ? {
          name: v.name,
          version: v.version,
          status: v.status,
          aliases: v.aliases,
          stage: v.currentStage,
          source: v.source,
          tags: v.tags,
        }
      : null,
    run: model.run ?? null,
    loggedModel: model.loggedModel
      ? { modelId: model.loggedModel.modelId, name: model.loggedModel.name, status: model.loggedModel.status }
      : null,
    artifactUri: model.artifactUri,
    flavors: model.mlmodel.flavors,
    signature: model.mlmodel.signature ?? null,
    mlflowVersion: model.mlmodel.mlflowVersion ?? null,
    modelUuid: model.mlmodel.modelUuid ?? null,
    files,
  };
}

export function addModelsCommands(program: Command, ctx: CliContext): void {
  const models = commandGroup(program, 'models', MODELS);

  models
    .command('resolve')
    .description(
      'What a model URI stands for: registered version, run, logged model, flavors, signature, files',
    )
    .argument(
      '<uri>',
      'models:/name@alias, models:/name/3, models:/name/Production, models:/name/latest, models:/m-<id>, runs:/<run_id>/<path>',
    )
    .option('--json', 'print JSON (version, run, loggedModel, artifactUri, flavors, signature, files)')
    .addHelpText(
      'after',
      examples(
        'mlops models resolve models:/churn@champion',
        'mlops models resolve models:/churn/3 --json',
        'mlops models resolve runs:/0a1b2c.../model',
      ),
    )
    .action(async (uri: string, opts: { json?: boolean }) => {
      await ctx.withPlatform(async (platform) => {
        const model = await platform.mlflow.resolveModel(uri);
        const listed = await platform.mlflow.listArtifacts({ artifactUri: model.artifactUri }, undefined, {
          recursive: true,
        });
        const files = listed
          .filter((f) => !f.isDir)
          .map((f) => ({ path: f.path, size: f.fileSize }))
          .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        if (opts.json) {
          ctx.out(toJson(resolvedJson(model, files)));
          return;
        }
        const v = model.modelVersion;
        const lines = [`uri:       ${model.uri}`];
        if (v) {
          lines.push(
            `version:   ${v.name} v${v.version} (${v.status ?? 'status unknown'}${v.aliases.length ? `; aliases ${v.aliases.join(', ')}` : ''})`,
          );
        }
        if (model.run) {
          lines.push(
            `run:       ${model.run.runId}${model.run.runName ? ` (${model.run.runName})` : ''}, experiment ${model.run.experimentId}, ${model.run.status ?? ''}`.trimEnd(),
          );
        }
        if (model.loggedModel)
          lines.push(`logged:    ${model.loggedModel.modelId} (${model.loggedModel.name})`);
        lines.push(`artifacts: ${model.artifactUri}`);
        lines.push(`flavors:   ${Object.keys(model.mlmodel.flavors).join(', ') || '(none)'}`);
        if (model.mlmodel.mlflowVersion) lines.push(`mlflow:    ${model.mlmodel.mlflowVersion}`);
        const sig = model.mlmodel.signature;
        if (sig) {
          lines.push('signature:');
          for (const spec of sig.inputs ?? []) lines.push(`  in   ${specText(spec)}`);
          for (const spec of sig.outputs ?? []) lines.push(`  out  ${specText(spec)}`);
          for (const p of sig.params ?? []) lines.push(`  param ${p.name}: ${p.type}`);
        } else lines.push('signature: (none)');
        ctx.out(lines.join('\n'));
        ctx.out(`files (${files.length}):`);
        ctx.out(table(files.map((f) => ({ path: f.path, bytes: f.size }))));
      });
    });

  models
    .command('pull')
    .description("Download a model's files into a folder (streamed, resumable), with a progress bar in bytes")
    .argument('<uri>', 'a models:/ or runs:/ URI, as for resolve')
    .requiredOption('-d, --dir <dir>', 'where to put the files (created if missing)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print {uri, dir, version, runId, files, bytes} as JSON')
    .addHelpText(
      'after',
      examples(
        'mlops models pull models:/churn@champion --dir ./model',
        'mlops models pull models:/churn/3 -d /srv/models/churn --no-progress --json',
      ),
    )
    .action(async (uri: string, opts: { dir: string; progress: boolean; json?: boolean }) => {
      const dir = resolve(ctx.cwd, opts.dir);
      await ctx.withPlatform(async (platform) => {
        const model = await platform.mlflow.resolveModel(uri);
        const bar =
          opts.progress && !opts.json && ctx.isTTY
            ? new SingleBar({
                format: ' {bar} {percentage}% | {value}/{total} bytes | {files}/{filesTotal} files',
                stream: ctx.stderrStream,
                hideCursor: true,
              })
            : undefined;
        let last: TransferProgress | undefined;
        let started = false;
        try {
          const path = await platform.mlflow.downloadModel(uri, dir, {
            onProgress: (p) => {
              last = p;
              if (!bar) return;
              const payload = { files: p.filesDone, filesTotal: p.filesTotal };
              if (!started && p.bytesTotal !== undefined) {
                bar.start(p.bytesTotal, 0, payload);
                started = true;
              }
              if (started) bar.update(p.bytesDone, payload);
            },
          });
          bar?.stop();
          const summary = {
            uri,
            dir: path,
            version: model.modelVersion
              ? { name: model.modelVersion.name, version: model.modelVersion.version }
              : null,
            runId: model.run?.runId ?? null,
            files: last?.filesDone ?? 0,
            bytes: last?.bytesDone ?? 0,
          };
          if (opts.json) ctx.out(toJson(summary));
          else {
            const what = summary.version ? `${summary.version.name} v${summary.version.version}` : uri;
            ctx.out(`pulled ${what}: ${summary.files} files, ${summary.bytes} bytes into ${path}`);
          }
        } finally {
          bar?.stop();
        }
      });
    });
}
