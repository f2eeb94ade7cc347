// The platform's MLflow servers for the interop tests: each test fails (never skips) with the command that
// starts a missing one.
import { readPins } from '../../../../scripts/pins.mjs';

const pins = readPins();
export const trackingUri = `http://127.0.0.1:${pins.MLFLOW_PORT}`;
export const authTrackingUri = `http://127.0.0.1:${pins.MLFLOW_AUTH_PORT ?? '5001'}`;
export const authAdmin = {
  username: pins.MLFLOW_AUTH_ADMIN_USER ?? 'admin',
  password: pins.MLFLOW_AUTH_ADMIN_PASSWORD ?? '',
};

/** A name no other test run (or helper) uses at the same time. */
export function unique(what: string): string {
  return `ts-${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

const checked = new Map<string, Promise<void>>();

/** Resolves when MLflow answers /health at `uri`; rejects with the command that starts it. */
export function requireMlflow(uri: string = trackingUri, component = 'mlflow'): Promise<void> {
  let check = checked.get(uri);
  if (!check) {
    check = fetch(`${uri}/health`).then(
      (response) => {
        if (!response.ok) throw new Error(`answered ${response.status}`);
      },
      (error: unknown) => {
        throw new Error(
          `MLflow is not running at ${uri}: start it with \`bash platform/bin/platform up ${component}\` (${String(error)})`,
        );
      },
    );
    checked.set(uri, check);
  }
  return check;
}
