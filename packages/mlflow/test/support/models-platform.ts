// The real MLflow server of the platform for the registry, artifact and model tests: a client on it, unique
// names (other helpers hit the same server), an experiment and a run made through `raw`, and a check that
// fails (never skips) with the command that starts the server.
import { MlflowClient } from '@mlops/mlflow';
import { readPins } from '../../../../scripts/pins.mjs';

export const pins: Record<string, string> = readPins();
export const trackingUri = `http://127.0.0.1:${pins.MLFLOW_PORT}`;

let reachable: Promise<void> | undefined;
/** Resolves when MLflow answers /health; otherwise rejects saying how to start it. */
export function requireMlflow(): Promise<void> {
  reachable ??= fetch(`${trackingUri}/health`).then(
    async (response) => {
      if ((await response.text()) !== 'OK') throw new Error(`MLflow at ${trackingUri} is not healthy`);
    },
    (error: unknown) => {
      throw new Error(
        `MLflow is not running at ${trackingUri}: start it with \`pnpm platform up mlflow\` (${String(error)})`,
      );
    },
  );
  return reachable;
}

export function newClient(): MlflowClient {
  return new MlflowClient({ trackingUri });
}

const runTag = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
/** A name no other test run uses. */
export function unique(what: string): string {
  return `models-${what}-${runTag}-${Math.random().toString(36).slice(2, 7)}`;
}

/** A fresh experiment and a run in it, made with the generated client (the tracking surface is not ours). */
export async function newRun(
  client: MlflowClient,
): Promise<{ experimentId: string; runId: string; artifactUri: string }> {
  const { data: exp } = await client.raw.POST('/api/2.0/mlflow/experiments/create', {
    body: { name: unique('exp') },
  });
  const experimentId = exp?.experiment_id ?? '';
  const { data: run } = await client.raw.POST('/api/2.0/mlflow/runs/create', {
    body: { experiment_id: experimentId, start_time: Date.now() },
  });
  return {
    experimentId,
    runId: run?.run?.info?.run_id ?? '',
    artifactUri: run?.run?.info?.artifact_uri ?? '',
  };
}
