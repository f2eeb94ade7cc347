import { join, resolve } from 'node:path';
import { readPins } from '../../../scripts/pins.mjs';
import { freePort, ServerProcess } from './processes';

const root = resolve(import.meta.dirname, '../../..');
const pins: Record<string, string> = readPins();

/**
 * A second Airflow API server of the platform's Airflow (same AIRFLOW_HOME, metadata DB and auth manager; its
 * own process on a free port), for tests that kill and restart it. The platform's scheduler and workers keep
 * using the platform's own API server, so runs go on while this one is down.
 */
export async function privateAirflowApi(): Promise<ServerProcess & { port: number; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = new ServerProcess(
    `airflow-api-${port}`,
    join(root, 'platform/.state/venvs/airflow/bin/airflow'),
    () => ['api-server', '--host', '127.0.0.1', '--port', String(port)],
    async () => (await fetch(`${url}/api/v2/monitor/health`)).ok,
    { ...process.env, AIRFLOW_HOME: join(root, 'platform/.state/data/airflow') },
  );
  await server.start(180_000).catch((error: unknown) => {
    throw new Error(
      `could not start a second Airflow ${pins.AIRFLOW_VERSION} API server from the platform's venv (\`pnpm platform up airflow\` first): ${String(error)}`,
    );
  });
  return Object.assign(server, { port, url });
}
