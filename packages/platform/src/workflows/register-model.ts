import { ConflictError } from '@mlops/core';
import type { ModelVersion } from '@mlops/mlflow';
import type { Platform } from '../platform';
import {
  ModelRegistrationError,
  ModelValidationError,
  sleep,
  throwIfAborted,
  WorkflowInputError,
  WorkflowTimeoutError,
  workflowSignal,
} from './errors';

/** What a validation says: `true`/`false`, or `{ ok, details }` (details end up in the result or the error). */
export type ValidationOutcome = boolean | { ok: boolean; details?: unknown };

/** What `promoteModelVersion` takes: an existing version, the alias, the validation. */
export interface PromoteModelVersionOptions {
  /** The registered model. */
  name: string;
  /** The version to promote. */
  version: string | number;
  /** The alias to move to the version once it is READY and validated (e.g. `champion`). */
  alias?: string;
  /**
   * Your check of the version (e.g. its score on a holdout) before the alias moves. A `false`, an
   * `{ ok: false }` or a throw is a ModelValidationError, and the alias stays where it was.
   */
  validate?: (
    version: ModelVersion,
    context: { signal: AbortSignal | undefined },
  ) => Promise<ValidationOutcome>;
  /** How long to wait for the version to be READY, in ms. Default 300 000. */
  timeoutMs?: number;
  /** Poll interval while it is PENDING_REGISTRATION, in ms. Default 500. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: RegisterModelProgress) => void;
}

export interface RegisterModelOptions {
  /** The run that logged the model. */
  runId: string;
  /**
   * Where the model is under the run: its name in `log_model(name=…)` (an MLflow 3 logged model), or a path
   * of the run's artifacts holding an MLmodel.
   */
  artifactPath: string;
  /** The registered model (created when it does not exist yet). */
  name: string;
  /** The alias to move to the new version once it is READY and validated (e.g. `champion`). */
  alias?: string;
  /**
   * Your check of the new version (e.g. its score on a holdout) before the alias moves. A `false`, an
   * `{ ok: false }` or a throw is a ModelValidationError, and the alias stays where it was.
   */
  validate?: (
    version: ModelVersion,
    context: { signal: AbortSignal | undefined },
  ) => Promise<ValidationOutcome>;
  description?: string;
  tags?: Record<string, string>;
  /** How long to wait for the version to be READY, in ms. Default 300 000. */
  timeoutMs?: number;
  /** Poll interval while it is PENDING_REGISTRATION, in ms. Default 500. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: RegisterModelProgress) => void;
}

export type RegisterModelProgress =
  | { phase: 'created'; version: string; source: string }
  | { phase: 'waiting'; version: string; status: string }
  | { phase: 'ready'; version: string }
  | { phase: 'validating'; version: string }
  | { phase: 'validated'; version: string; ok: boolean }
  | { phase: 'alias-moved'; alias: string; from: string | undefined; to: string };

export interface RegisteredVersion {
  /** The new version, READY (with its aliases as they are after the move). */
  version: ModelVersion;
  /** True when `alias` now points to the new version (false when no alias was asked for). */
  aliasMoved: boolean;
  /** Where the alias pointed before (undefined: nowhere, or no alias asked for). */
  previousAliasVersion: string | undefined;
  /** What the validation said (undefined without `validate`). */
  validation: { ok: true; details?: unknown } | undefined;
}

/**
 * Registers the model a run logged as a new version of `name`, waits until it is READY, runs your
 * validation, and only then moves `alias` to it. A failed validation (ModelValidationError) leaves the alias
 * where it was; the version stays registered, without the alias.
 *
 * ```ts
 * const { version } = await registerModel(platform, {
 *   runId, artifactPath: 'model', name: 'churn', alias: 'champion',
 *   validate: async (v) => ({ ok: (await holdoutAuc(v)) > 0.8 }),
 * });
 * ```
 */
export async function registerModel(
  platform: Platform,
  options: RegisterModelOptions,
): Promise<RegisteredVersion> {
  for (const key of ['runId', 'artifactPath', 'name'] as const) {
    const value: unknown = options[key];
    if (typeof value !== 'string' || value.trim() === '')
      throw new WorkflowInputError('registerModel', key, `${key} must be a non-empty string.`);
  }
  checkAlias(options.alias);
  const signal = workflowSignal(options.signal, platform.signal);
  const call = signal ? { signal } : {};
  const emit = options.onProgress ?? (() => {});
  const mlflow = platform.mlflow;

  // Where the model's files are: an MLflow 3 logged model of the run, or the run's own artifacts.
  const resolved = await mlflow.resolveModel(`runs:/${options.runId}/${options.artifactPath}`, call);
  const source = resolved.loggedModel
    ? `models:/${resolved.loggedModel.modelId}`
    : `runs:/${options.runId}/${options.artifactPath}`;
  try {
    await mlflow.createRegisteredModel(options.name, {}, call);
  } catch (error) {
    if (!ConflictError.isInstance(error)) throw error;
  }
  throwIfAborted('registerModel', signal);
  const created = await mlflow.createModelVersion(
    options.name,
    source,
    {
      runId: options.runId,
      ...(resolved.loggedModel ? { modelId: resolved.loggedModel.modelId } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.tags !== undefined ? { tags: options.tags } : {}),
    },
    call,
  );
  emit({ phase: 'created', version: created.version, source });

  return promoteModelVersion(platform, {
    name: options.name,
    version: created.version,
    ...(options.alias !== undefined ? { alias: options.alias } : {}),
    ...(options.validate !== undefined ? { validate: options.validate } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
}

/**
 * Promotes an existing model version: waits until it is READY, runs your validation, and only then moves
 * `alias` to it. A failed validation (ModelValidationError) leaves the alias where it was. What
 * `registerModel` does after creating the version, and what `mlops models promote` runs.
 */
export async function promoteModelVersion(
  platform: Platform,
  options: PromoteModelVersionOptions,
): Promise<RegisteredVersion> {
  if (typeof options.name !== 'string' || options.name.trim() === '')
    throw new WorkflowInputError('registerModel', 'name', 'name must be a non-empty string.');
  if (!/^[1-9][0-9]*$/.test(String(options.version)))
    throw new WorkflowInputError(
      'registerModel',
      'version',
      `version must be a version number (1, 2, ...); got ${JSON.stringify(String(options.version))}.`,
    );
  checkAlias(options.alias);
  const signal = workflowSignal(options.signal, platform.signal);
  const call = signal ? { signal } : {};
  const emit = options.onProgress ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 300_000;
  const mlflow = platform.mlflow;

  // PENDING_REGISTRATION → READY (or FAILED_REGISTRATION), within timeoutMs.
  const started = Date.now();
  let version = await mlflow.getModelVersion(options.name, String(options.version), call);
  for (;;) {
    if (version.status === 'READY' || version.status === undefined) break;
    if (version.status === 'FAILED_REGISTRATION')
      throw new ModelRegistrationError({
        modelName: options.name,
        version: version.version,
        statusMessage: version.statusMessage,
      });
    emit({ phase: 'waiting', version: version.version, status: version.status });
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0)
      throw new WorkflowTimeoutError(
        'registerModel',
        `${options.name} version ${version.version} was still ${version.status} after ${timeoutMs} ms. It may still become READY; no alias was moved. Raise timeoutMs or check the registry.`,
        { timeoutMs, lastSeen: version.status },
      );
    await sleep('registerModel', Math.min(options.pollIntervalMs ?? 500, left), signal);
    version = await mlflow.getModelVersion(options.name, version.version, call);
  }
  emit({ phase: 'ready', version: version.version });

  let previousAliasVersion: string | undefined;
  if (options.alias !== undefined) {
    // From the registered model's alias map: MLflow answers a missing alias with 400, not 404.
    previousAliasVersion = (await mlflow.getRegisteredModel(options.name, call)).aliases[options.alias];
  }

  let validation: RegisteredVersion['validation'];
  if (options.validate) {
    emit({ phase: 'validating', version: version.version });
    let outcome: ValidationOutcome;
    try {
      outcome = await options.validate(version, { signal });
    } catch (cause) {
      emit({ phase: 'validated', version: version.version, ok: false });
      throw new ModelValidationError({
        modelName: options.name,
        version: version.version,
        alias: options.alias,
        aliasVersion: previousAliasVersion,
        details: undefined,
        cause,
      });
    }
    const ok = typeof outcome === 'boolean' ? outcome : outcome?.ok === true;
    const details = typeof outcome === 'object' && outcome !== null ? outcome.details : undefined;
    emit({ phase: 'validated', version: version.version, ok });
    if (!ok)
      throw new ModelValidationError({
        modelName: options.name,
        version: version.version,
        alias: options.alias,
        aliasVersion: previousAliasVersion,
        details,
      });
    validation = details === undefined ? { ok: true } : { ok: true, details };
  }

  throwIfAborted('registerModel', signal);
  let aliasMoved = false;
  if (options.alias !== undefined) {
    await mlflow.setRegisteredModelAlias(options.name, options.alias, version.version, call);
    aliasMoved = true;
    emit({ phase: 'alias-moved', alias: options.alias, from: previousAliasVersion, to: version.version });
    version = await mlflow.getModelVersion(options.name, version.version, call);
  }
  return { version, aliasMoved, previousAliasVersion, validation };
}

function checkAlias(alias: string | undefined): void {
  if (alias !== undefined && (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(alias) || /^(v\d+|latest)$/i.test(alias))) {
    throw new WorkflowInputError(
      'registerModel',
      'alias',
      `alias ${JSON.stringify(alias)} is not one MLflow accepts: letters, digits, '_' and '-', not starting with a digit (and not v<number> or latest).`,
    );
  }
}
