// models:/ and runs:/ URIs: parsed as MLflow parses them, resolved to what a serving service needs (the
// registered version, the run, the logged model, the artifact URI, the parsed MLmodel and input example),
// and downloaded. `models:/name@alias`, `models:/name/3`, `models:/name/Production`, `models:/name/latest`,
// `models:/m-<id>`, `runs:/<run_id>/<path>`, each with an optional sub-path.
import type { CallOptions } from '@mlops/core';
import { NotFoundError } from '@mlops/core';
import type { Artifacts, DownloadArtifactsOptions } from './artifacts';
import { joinArtifactPath } from './artifacts/paths';
import type { LoggedModel, LoggedModels } from './logged-models';
import { inputExampleRows, type MLmodel, parseMLmodel } from './mlmodel';
import { ModelUriError } from './model-errors';
import type { ModelVersion, ModelVersions } from './model-versions';

export type ParsedModelUri =
  | { kind: 'alias'; name: string; alias: string; subPath: string }
  | { kind: 'version'; name: string; version: string; subPath: string }
  | { kind: 'stage'; name: string; stage: string; subPath: string }
  | { kind: 'latest'; name: string; subPath: string }
  | { kind: 'logged-model'; modelId: string; subPath: string }
  | { kind: 'run'; runId: string; path: string };

/** Parses a `models:/…` or `runs:/…` URI; a malformed one is a ModelUriError saying the accepted forms. */
export function parseModelUri(uri: string): ParsedModelUri {
  const forms =
    'Use models:/<name>@<alias>, models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest, models:/m-<id> or runs:/<run_id>/<path>.';
  const run = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(uri);
  if (run) return { kind: 'run', runId: run[1] ?? '', path: (run[2] ?? '').replace(/\/+$/, '') };
  const models = /^models:\/+(.+)$/.exec(uri);
  if (!models) throw new ModelUriError(uri, `${JSON.stringify(uri)} is not a model URI. ${forms}`);
  const parts = (models[1] ?? '').split('/').filter((p) => p !== '');
  const [first = '', second, ...rest] = parts;
  const at = first.indexOf('@');
  if (at >= 0) {
    const name = first.slice(0, at);
    const alias = first.slice(at + 1);
    if (!name || !alias)
      throw new ModelUriError(uri, `${JSON.stringify(uri)} has an empty name or alias. ${forms}`);
    return { kind: 'alias', name, alias, subPath: [second, ...rest].filter(Boolean).join('/') };
  }
  if (second === undefined) {
    if (/^m-[0-9a-f]{32}$/.test(first)) return { kind: 'logged-model', modelId: first, subPath: '' };
    throw new ModelUriError(
      uri,
      `${JSON.stringify(uri)} names a model without a version, stage or alias. ${forms}`,
    );
  }
  const subPath = rest.join('/');
  if (/^m-[0-9a-f]{32}$/.test(first) && !/^\d+$/.test(second)) {
    return { kind: 'logged-model', modelId: first, subPath: [second, ...rest].join('/') };
  }
  if (/^\d+$/.test(second)) return { kind: 'version', name: first, version: second, subPath };
  if (second.toLowerCase() === 'latest') return { kind: 'latest', name: first, subPath };
  return { kind: 'stage', name: first, stage: second, subPath };
}

/** The run behind a model, as far as resolving needs it. */
export interface ResolvedRun {
  runId: string;
  experimentId: string;
  runName: string | undefined;
  status: string | undefined;
  artifactUri: string;
}

/** What a `models:/` or `runs:/` URI stands for. */
export interface ResolvedModel {
  uri: string;
  /** The registered version (undefined for `models:/m-…` and `runs:/…`). */
  modelVersion: ModelVersion | undefined;
  run: ResolvedRun | undefined;
  /** The MLflow 3 logged model (undefined for a model logged as plain run artifacts). */
  loggedModel: LoggedModel | undefined;
  /** Where the model's files are: `mlflow-artifacts:/…`. */
  artifactUri: string;
  mlmodel: MLmodel;
  /** The saved input example as written (`input_example.json`), when there is one. */
  inputExample: unknown;
  /** The input example as rows (records) for a pandas-split example; otherwise as written. */
  inputExampleRows: unknown;
}

export interface ModelResolverDeps {
  versions: ModelVersions;
  loggedModels: LoggedModels;
  artifacts: Artifacts;
  getRun(runId: string, call?: CallOptions): Promise<ResolvedRun>;
  /** The text of one small file under an artifact URI. */
  readText(artifactUri: string, path: string, call?: CallOptions): Promise<string>;
}

function maxVersion(versions: ModelVersion[]): ModelVersion | undefined {
  return versions.reduce<ModelVersion | undefined>(
    (best, v) => (best === undefined || Number(v.version) > Number(best.version) ? v : best),
    undefined,
  );
}

export class ModelResolver {
  readonly #d: ModelResolverDeps;
  constructor(deps: ModelResolverDeps) {
    this.#d = deps;
  }

  async #version(uri: string, parsed: ParsedModelUri, call?: CallOptions): Promise<ModelVersion | undefined> {
    switch (parsed.kind) {
      case 'alias':
        return this.#d.versions.getByAlias(parsed.name, parsed.alias, call);
      case 'version':
        return this.#d.versions.get(parsed.name, parsed.version, call);
      case 'stage':
      case 'latest': {
        const stages = parsed.kind === 'stage' ? [parsed.stage] : undefined;
        const found = maxVersion(await this.#d.versions.getLatest(parsed.name, stages, call));
        if (!found) {
          throw new ModelUriError(
            uri,
            `Registered model ${JSON.stringify(parsed.name)} has no version${parsed.kind === 'stage' ? ` in stage ${JSON.stringify(parsed.stage)}` : ''}.`,
          );
        }
        return found;
      }
      default:
        return undefined;
    }
  }

  /** The root of the model's files (before any sub-path) and what it belongs to. */
  async locate(
    uri: string,
    call?: CallOptions,
  ): Promise<Omit<ResolvedModel, 'mlmodel' | 'inputExample' | 'inputExampleRows'> & { subPath: string }> {
    const parsed = parseModelUri(uri);
    const modelVersion = await this.#version(uri, parsed, call);
    let loggedModel: LoggedModel | undefined;
    let run: ResolvedRun | undefined;
    let artifactUri: string;
    let subPath = '';
    if (modelVersion) {
      if (modelVersion.status !== undefined && modelVersion.status !== 'READY') {
        throw new ModelUriError(
          uri,
          `Model version ${modelVersion.name}/${modelVersion.version} is ${modelVersion.status}, not READY: ${modelVersion.statusMessage ?? ''}`,
        );
      }
      artifactUri = await this.#d.versions.getDownloadUri(modelVersion.name, modelVersion.version, call);
      const source = /^models:\/+(m-[0-9a-f]{32})$/.exec(modelVersion.source ?? '');
      const modelId = modelVersion.modelId ?? source?.[1];
      if (modelId) loggedModel = await this.#d.loggedModels.get(modelId, call);
      const runId = modelVersion.runId || loggedModel?.sourceRunId;
      if (runId) run = await this.#d.getRun(runId, call);
      subPath = 'subPath' in parsed ? parsed.subPath : '';
    } else if (parsed.kind === 'logged-model') {
      loggedModel = await this.#d.loggedModels.get(parsed.modelId, call);
      artifactUri = loggedModel.artifactLocation;
      if (loggedModel.sourceRunId) run = await this.#d.getRun(loggedModel.sourceRunId, call);
      subPath = parsed.subPath;
    } else if (parsed.kind === 'run') {
      run = await this.#d.getRun(parsed.runId, call);
      // MLflow 3 keeps a model logged from a run (log_model(name=…)) as a logged model, not as run artifacts.
      const underRun =
        parsed.path === '' ? [] : await this.#d.artifacts.list({ artifactUri: run.artifactUri }, parsed.path);
      if (underRun.length > 0 || parsed.path === '') {
        artifactUri = run.artifactUri;
        subPath = parsed.path;
      } else {
        const [top = '', ...below] = parsed.path.split('/');
        const page = await this.#d.loggedModels.searchPage(
          [run.experimentId],
          {
            filter: `source_run_id = '${run.runId}' AND name = '${top.replaceAll("'", "\\'")}'`,
            pageSize: 2,
          },
          call,
        );
        loggedModel = page.items[0];
        if (!loggedModel) {
          throw new ModelUriError(
            uri,
            `Run ${run.runId} has no artifacts at ${JSON.stringify(parsed.path)} and no logged model named ${JSON.stringify(top)}.`,
          );
        }
        artifactUri = loggedModel.artifactLocation;
        subPath = below.join('/');
      }
    } else {
      throw new ModelUriError(uri, `Cannot resolve ${JSON.stringify(uri)}.`);
    }
    return { uri, modelVersion, run, loggedModel, artifactUri, subPath };
  }

  /** Resolves a URI to its version, run, logged model, artifact URI, parsed MLmodel and input example. */
  async resolve(uri: string, call?: CallOptions): Promise<ResolvedModel> {
    const located = await this.locate(uri, call);
    const { subPath, ...rest } = located;
    const artifactUri = subPath
      ? `${located.artifactUri.replace(/\/+$/, '')}/${joinArtifactPath(subPath)}`
      : located.artifactUri;
    let text: string;
    try {
      text = await this.#d.readText(artifactUri, 'MLmodel', call);
    } catch (error) {
      if (NotFoundError.isInstance(error)) {
        throw new ModelUriError(
          uri,
          `${JSON.stringify(uri)} resolves to ${artifactUri}, which has no MLmodel file: it is not an MLflow model.`,
          { cause: error },
        );
      }
      throw error;
    }
    const mlmodel = parseMLmodel(text);
    let inputExample: unknown;
    const examplePath = mlmodel.savedInputExampleInfo?.artifact_path;
    if (typeof examplePath === 'string') {
      inputExample = JSON.parse(await this.#d.readText(artifactUri, examplePath, call));
    }
    return {
      ...rest,
      artifactUri,
      mlmodel,
      inputExample,
      inputExampleRows: inputExample === undefined ? undefined : inputExampleRows(inputExample),
    };
  }

  /**
   * Downloads the model's files into `dir` (its contents directly, as Python's
   * `mlflow.artifacts.download_artifacts(uri, dst_path=dir)`); resolves to the local path.
   */
  async download(
    uri: string,
    dir: string,
    options: Omit<DownloadArtifactsOptions, 'dstPath'> = {},
  ): Promise<string> {
    const located = await this.locate(uri, options.signal ? { signal: options.signal } : undefined);
    return this.#d.artifacts.download({ artifactUri: located.artifactUri }, located.subPath, {
      ...options,
      dstPath: dir,
    });
  }
}
