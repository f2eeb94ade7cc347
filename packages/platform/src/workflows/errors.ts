/**
 * The errors of the cross-component workflows. What a component reports is its own typed error (a failed
 * DAG run is @mlops/airflow's DagRunFailedError, a DAG file that does not import its DagImportError, an
 * HTTP failure @mlops/core's ApiError subclasses); these are the workflows' own outcomes.
 */
import { AbortError, MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

/** The names of the workflows, as errors and progress events carry them. */
export type WorkflowName = 'buildTrainingSet' | 'registerModel' | 'runPipeline' | 'deployDag';

/** A workflow was called with an argument it cannot use; nothing was sent. `input` names the argument. */
export class WorkflowInputError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.WorkflowInputError');
  static override isInstance(value: unknown): value is WorkflowInputError {
    return hasErrorMarker(value, WorkflowInputError.marker);
  }

  readonly workflow: WorkflowName;
  readonly input: string;

  constructor(workflow: WorkflowName, input: string, message: string) {
    super(`${workflow}: ${message}`);
    this.workflow = workflow;
    this.input = input;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), workflow: this.workflow, input: this.input };
  }
}

/** A workflow waited longer than its `timeoutMs` for a component; what was waited for is left as it is. */
export class WorkflowTimeoutError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.WorkflowTimeoutError');
  static override isInstance(value: unknown): value is WorkflowTimeoutError {
    return hasErrorMarker(value, WorkflowTimeoutError.marker);
  }

  readonly workflow: WorkflowName;
  readonly timeoutMs: number;
  /** The last state seen (a model version's status, ...). */
  readonly lastSeen: unknown;

  constructor(workflow: WorkflowName, message: string, init: { timeoutMs: number; lastSeen: unknown }) {
    super(`${workflow}: ${message}`);
    this.workflow = workflow;
    this.timeoutMs = init.timeoutMs;
    this.lastSeen = init.lastSeen;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), workflow: this.workflow, timeoutMs: this.timeoutMs, lastSeen: this.lastSeen };
  }
}

/** MLflow could not register the model version (FAILED_REGISTRATION); no alias was moved. */
export class ModelRegistrationError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.ModelRegistrationError');
  static override isInstance(value: unknown): value is ModelRegistrationError {
    return hasErrorMarker(value, ModelRegistrationError.marker);
  }

  readonly modelName: string;
  readonly version: string;
  readonly statusMessage: string | undefined;

  constructor(init: { modelName: string; version: string; statusMessage: string | undefined }) {
    super(
      `registerModel: MLflow could not register ${init.modelName} version ${init.version}${init.statusMessage ? `: ${init.statusMessage}` : ''}. No alias was moved; check the source artifacts and register again.`,
    );
    this.modelName = init.modelName;
    this.version = init.version;
    this.statusMessage = init.statusMessage;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      modelName: this.modelName,
      version: this.version,
      statusMessage: this.statusMessage,
    };
  }
}

/**
 * The caller's validation refused the new model version (or threw): the version exists, and the alias was
 * left where it was (`aliasVersion`, undefined when it pointed nowhere).
 */
export class ModelValidationError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.ModelValidationError');
  static override isInstance(value: unknown): value is ModelValidationError {
    return hasErrorMarker(value, ModelValidationError.marker);
  }

  readonly modelName: string;
  readonly version: string;
  readonly alias: string | undefined;
  /** Where the alias still points. */
  readonly aliasVersion: string | undefined;
  /** What the validation said (its `details`, or the error it threw). */
  readonly details: unknown;

  constructor(init: {
    modelName: string;
    version: string;
    alias: string | undefined;
    aliasVersion: string | undefined;
    details: unknown;
    cause?: unknown;
  }) {
    const said =
      init.cause !== undefined
        ? `the validation threw: ${init.cause instanceof Error ? init.cause.message : String(init.cause)}`
        : `the validation failed${init.details === undefined ? '' : `: ${typeof init.details === 'string' ? init.details : JSON.stringify(init.details)}`}`;
    super(
      `registerModel: ${init.modelName} version ${init.version} was registered but ${said}. ${
        init.alias === undefined
          ? 'No alias was asked for.'
          : `The alias ${init.alias} was not moved (it ${init.aliasVersion === undefined ? 'points to no version' : `still points to version ${init.aliasVersion}`}).`
      }`,
      init.cause === undefined ? {} : { cause: init.cause },
    );
    this.modelName = init.modelName;
    this.version = init.version;
    this.alias = init.alias;
    this.aliasVersion = init.aliasVersion;
    this.details = init.details;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      modelName: this.modelName,
      version: this.version,
      alias: this.alias,
      aliasVersion: this.aliasVersion,
      details: this.details,
    };
  }
}

/** The workflow's signal: the caller's and the platform's `global.signal`, either aborting it. */
export function workflowSignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : AbortSignal.any(present);
}

/** Throws the AbortError of a workflow whose signal has aborted (between its steps). */
export function throwIfAborted(workflow: WorkflowName, signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new AbortError(`${workflow} was aborted by the caller.`, { reason: signal.reason });
}

/** Waits `ms`, or rejects with the workflow's AbortError as soon as `signal` aborts. */
export function sleep(workflow: WorkflowName, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(`${workflow} was aborted by the caller.`, { reason: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(`${workflow} was aborted by the caller.`, { reason: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
