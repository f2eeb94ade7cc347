import { hostname } from 'node:os';
import { ecsFormat } from '@elastic/ecs-pino-format';
import { type DestinationStream, type Level, type Logger, type LoggerOptions, pino } from 'pino';

/** Options of `createEcsLogger`. */
export interface EcsLoggerOptions {
  /** ECS `service.*` fields on every line; `name` also becomes `event.dataset`. */
  service: { name: string; version?: string; environment?: string; nodeName?: string };
  /** Lowest level written. Default 'info'. */
  level?: Level | 'silent';
  /**
   * Where lines go: a `LogShipper` (Elasticsearch), or any pino destination (`pino.destination(1)` for
   * stdout, which is the default).
   */
  destination?: DestinationStream;
  /** Turn `req`/`res` fields (node:http objects) into ECS `http.*`, `url.*`, `client.*`. Default false. */
  convertReqRes?: boolean;
  /** Fields on every line (ECS `labels`, or your own namespace such as `ml.model`). */
  base?: Record<string, unknown>;
  /** Further pino options (redact, serializers, hooks...). The ECS formatters and message key are kept. */
  pino?: Omit<LoggerOptions, 'formatters' | 'messageKey' | 'timestamp' | 'level' | 'base'>;
}

/**
 * A pino logger writing ECS JSON (`@timestamp`, `log.level`, `message`, `ecs.version`, `service.*`, `error.*`)
 * through `@elastic/ecs-pino-format`:
 *
 * ```ts
 * const shipper = new LogShipper({ elasticsearchUrl: 'http://127.0.0.1:9200', dataStream: 'logs-churn_api-default' });
 * await shipper.ensureIndexTemplate();
 * const log = createEcsLogger({ service: { name: 'churn-api', version: '1.4.0' }, destination: shipper });
 * log.info({ labels: { model: 'churn', model_version: '3' } }, 'prediction served');
 * await shipper.close();
 * ```
 */
export function createEcsLogger(options: EcsLoggerOptions): Logger {
  const { service } = options;
  if (typeof service?.name !== 'string' || service.name === '') {
    throw new TypeError(
      '@mlops/metrics: createEcsLogger needs service.name (ECS service.name, e.g. "churn-api").',
    );
  }
  const ecs = ecsFormat({
    serviceName: service.name,
    ...(service.version === undefined ? {} : { serviceVersion: service.version }),
    ...(service.environment === undefined ? {} : { serviceEnvironment: service.environment }),
    ...(service.nodeName === undefined ? {} : { serviceNodeName: service.nodeName }),
    convertReqRes: options.convertReqRes ?? false,
    apmIntegration: false,
  });
  const config: LoggerOptions = {
    ...options.pino,
    ...ecs,
    level: options.level ?? 'info',
    // pino's own base (pid, hostname → ECS process.pid, host.hostname) is kept under the caller's fields.
    ...(options.base === undefined
      ? {}
      : { base: { pid: process.pid, hostname: hostname(), ...options.base } }),
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}
