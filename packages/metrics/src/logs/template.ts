// The index template that makes a data stream for ECS logs. Elastic's own `logs-*-*` templates (x-pack stack
// module) map `message` as `match_only_text`, a type of the mapper-extras module; Maven Central's Elasticsearch
// has neither, so this template uses only core mapping types (`text`, `keyword`, `date`, `long`, `ip`).

/** Options of `ecsIndexTemplate`. */
export interface EcsIndexTemplateOptions {
  /** Data stream names (or patterns) the template applies to, e.g. `['logs-churn_api-*']`. */
  indexPatterns: string[];
  /** Template priority; Elastic's built-in `logs` template has 100. Default 500. */
  priority?: number;
  /** `number_of_replicas` of the backing indices. Default 0 (a single node never allocates replicas). */
  replicas?: number;
}

const keyword = { type: 'keyword', ignore_above: 1024 } as const;

/** The body of `PUT /_index_template/<name>` for ECS log lines written by `createEcsLogger`. */
export function ecsIndexTemplate(options: EcsIndexTemplateOptions): Record<string, unknown> {
  return {
    index_patterns: options.indexPatterns,
    data_stream: {},
    priority: options.priority ?? 500,
    _meta: { managed_by: '@mlops/metrics', description: 'ECS log lines (ecs-pino-format)' },
    template: {
      settings: { number_of_replicas: options.replicas ?? 0 },
      mappings: {
        dynamic_templates: [{ strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } }],
        properties: {
          '@timestamp': { type: 'date' },
          message: { type: 'text' },
          ecs: { properties: { version: keyword } },
          log: { properties: { level: keyword, logger: keyword } },
          service: {
            properties: {
              name: keyword,
              version: keyword,
              environment: keyword,
              node: { properties: { name: keyword } },
            },
          },
          // event.id: the shipper's dedupe id, searched only after a failed request; doc values alone answer that
          // `terms` query, so it is not indexed (one unique term per line would cost every write).
          event: { properties: { dataset: keyword, id: { type: 'keyword', index: false } } },
          host: { properties: { hostname: keyword } },
          process: { properties: { pid: { type: 'long' } } },
          trace: { properties: { id: keyword } },
          transaction: { properties: { id: keyword } },
          span: { properties: { id: keyword } },
          error: {
            properties: {
              type: keyword,
              message: { type: 'text' },
              stack_trace: { type: 'text', index: false },
            },
          },
          http: {
            properties: {
              request: { properties: { method: keyword } },
              response: { properties: { status_code: { type: 'long' } } },
            },
          },
          url: { properties: { path: keyword, full: keyword } },
          client: { properties: { address: keyword, ip: { type: 'ip' }, port: { type: 'long' } } },
          labels: { type: 'object', dynamic: true },
        },
      },
    },
  };
}
