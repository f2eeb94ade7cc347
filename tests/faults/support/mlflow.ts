import { join, resolve } from 'node:path';
import { readPins } from '../../../scripts/pins.mjs';
import { freePort, ServerProcess } from './processes';

const root = resolve(import.meta.dirname, '../../..');
const pins: Record<string, string> = readPins();

/**
 * A private MLflow tracking server (the platform's pinned venv, its own SQLite store and artifacts in a temp
 * directory, a free port), for tests that kill and restart it. The data survives restart(), as a real
 * deployment's database does.
 */
export async function privateMlflow(): Promise<ServerProcess & { port: number; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const venv = join(root, 'platform/.state/venvs/mlflow');
  const server = new ServerProcess(
    `mlflow-${port}`,
    join(venv, 'bin/mlflow'),
    (dir) => [
      ...['server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
      ...['--backend-store-uri', `sqlite:///${dir}/mlflow.db`],
      ...['--serve-artifacts', '--artifacts-destination', `${dir}/artifacts`],
    ],
    async () => (await fetch(`${url}/health`).then((r) => r.text())) === 'OK',
    {
      ...process.env,
      MLFLOW_ENABLE_TELEMETRY: 'false',
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: 'true',
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    },
  );
  await server.start(120_000).catch((error: unknown) => {
    throw new Error(
      `could not start a private MLflow ${pins.MLFLOW_VERSION} from the platform's venv (\`pnpm platform up mlflow\` builds it): ${String(error)}`,
    );
  });
  return Object.assign(server, { port, url });
}
