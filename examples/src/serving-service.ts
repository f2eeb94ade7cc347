// A serving service (interactions 15, 16, 9): resolves `models:/<name>@champion` in MLflow, loads the ONNX model
// in process (onnxruntime-node), reads each request's driver features from Feast's Redis, and answers
// POST /predict, GET /health and GET /metrics (Prometheus scrapes 127.0.0.1:9464 as job "serving"). When the alias
// moves, the next refresh swaps the model without dropping requests. SIGTERM drains and exits.
// Run: pnpm --filter @mlops/examples serving-service driver-conversion (after training-script; platform up, pnpm build)
//   curl -s localhost:9464/predict -d '{"rows":[{"driver_id":1001},{"driver_id":1002}]}'

import { fileURLToPath } from 'node:url';
import { createPlatform, createPredictor, createServingApp } from '@mlops/platform';

export interface ServingService {
  url: string;
  /** The version answering now. */
  version(): string;
  close(): Promise<void>;
}

export async function main(options: {
  model: string;
  /** Default 9464, the port the platform's Prometheus scrapes; 0 for any free port. */
  port?: number;
  refreshIntervalMs?: number;
  log?: (line: string) => void;
}): Promise<ServingService> {
  const log = options.log ?? console.log;
  const platform = createPlatform({
    feast: { repoPath: fileURLToPath(new URL('../../platform/feast', import.meta.url)) },
  });
  const predictor = await createPredictor(platform, {
    model: `models:/${options.model}@champion`,
    features: [
      'driver_hourly_stats:conv_rate',
      'driver_hourly_stats:acc_rate',
      'driver_hourly_stats:avg_daily_trips',
    ],
    entityKeys: ['driver_id'],
    refreshIntervalMs: options.refreshIntervalMs ?? 30_000,
    onEvent: (event) => {
      if (event.type === 'loaded') log(`loaded ${event.model.name} version ${event.model.version}`);
      if (event.type === 'swapped')
        log(`champion moved: version ${event.from.version} -> ${event.to.version}`);
      if (event.type === 'refresh-failed')
        log(`alias refresh failed (still serving): ${String(event.error)}`);
    },
  });
  const server = await createServingApp(predictor).listen(options.port ?? 9464);
  log(`serving ${options.model}@champion on ${server.url} (/predict, /health, /metrics)`);
  const close = async () => {
    await server.close(); // stops accepting, waits for requests in flight
    await predictor.close();
    await platform.close();
  };
  return { url: server.url, version: () => predictor.model.version, close };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const service = await main({ model: process.argv[2] ?? 'driver-conversion' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void service.close().then(() => process.exit(0)));
  }
}
