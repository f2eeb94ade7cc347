#!/usr/bin/env node
// Writes our OpenAPI 3.1 spec of the Prometheus HTTP API v1 (the endpoints @mlops/metrics calls) to stdout as JSON.
// Prometheus publishes no spec for 2.42 (the pinned Debian package); this one is written by us from the documented
// API (docs/querying/api.md) and from what the servers answer, and the contract test
// (packages/metrics/test/prometheus.contract.test.ts) validates real answers of 2.42 and of 3.x against it.
// Schemas are closed (additionalProperties: false) so a field the server adds shows up there. `x-prometheus-since`
// marks parameters and fields that the pinned 2.42 does not know (the client refuses such parameters on older
// servers). Cross-checked against the spec Prometheus >= 3.10 serves at /api/v1/openapi.yaml; the differences are
// listed in packages/metrics/README.md (Prometheus, "The spec").
//   node scripts/prometheus_openapi.mjs > openapi/prometheus.json   (scripts/codegen.mjs does this: `--only prometheus`)

const ref = (name) => ({ $ref: `#/components/schemas/${name}` });
const str = (description) => ({ type: 'string', ...(description ? { description } : {}) });
const num = (description) => ({ type: 'number', ...(description ? { description } : {}) });
const arrayOf = (items) => ({ type: 'array', items });
/** A closed object: `required` fields, then optional ones. */
function closed(required, optional = {}, description) {
  const schema = {
    type: 'object',
    properties: { ...required, ...optional },
    required: Object.keys(required),
    additionalProperties: false,
  };
  if (description) schema.description = description;
  return schema;
}
const since = (version, schema) => ({ ...schema, 'x-prometheus-since': version });

const time = str('RFC 3339 or unix seconds with up to millisecond decimals, e.g. 1700000000.123');
const matchers = arrayOf(str('a series selector, e.g. up{job="prometheus"}'));

// ---- parameters (query string of GET, form body of POST) -------------------------------------------------------
const queryParams = {
  query: { required: true, schema: str('PromQL expression') },
  time: { schema: time },
  timeout: { schema: str('evaluation timeout, a duration like 30s; capped by --query.timeout') },
  limit: {
    since: '3.2.0',
    schema: { type: 'integer', minimum: 0, description: 'maximum number of series returned' },
  },
  lookback_delta: { since: '3.7.0', schema: str('the lookback period of this query, a duration like 5m') },
  stats: { schema: str('"all" to return query statistics in data.stats') },
};
const rangeParams = {
  query: queryParams.query,
  start: { required: true, schema: time },
  end: { required: true, schema: time },
  step: { required: true, schema: str('resolution: a duration like 15s or float seconds') },
  timeout: queryParams.timeout,
  limit: queryParams.limit,
  lookback_delta: queryParams.lookback_delta,
  stats: queryParams.stats,
};
const selectParams = (matchRequired) => ({
  'match[]': { required: matchRequired, schema: matchers },
  start: { schema: time },
  end: { schema: time },
  limit: {
    since: '2.51.0',
    schema: { type: 'integer', minimum: 0, description: 'maximum number of items returned' },
  },
});
const metadataParams = {
  limit: { schema: { type: 'integer', description: 'maximum number of metrics returned' } },
  limit_per_metric: {
    since: '2.46.0',
    schema: { type: 'integer', description: 'maximum entries per metric' },
  },
  metric: { schema: str('only this metric name') },
};
const targetsParams = {
  state: { schema: { type: 'string', enum: ['active', 'dropped', 'any'] } },
  scrapePool: { since: '2.42.0', schema: str('only targets of this scrape pool') },
};
const rulesParams = {
  type: { schema: { type: 'string', enum: ['alert', 'record'] } },
  'rule_name[]': { since: '2.44.0', schema: arrayOf(str()) },
  'rule_group[]': { since: '2.44.0', schema: arrayOf(str()) },
  'file[]': { since: '2.44.0', schema: arrayOf(str()) },
  exclude_alerts: { since: '2.49.0', schema: { type: 'boolean' } },
  'match[]': { since: '3.0.0', schema: matchers },
  group_limit: { since: '3.0.0', schema: { type: 'integer', minimum: 1 } },
  group_next_token: { since: '3.0.0', schema: str() },
};

function inQuery(params) {
  return Object.entries(params).map(([name, p]) => {
    const schema = p.since ? since(p.since, p.schema) : p.schema;
    const parameter = { name, in: 'query', schema, ...(p.required ? { required: true } : {}) };
    if (schema.type === 'array') Object.assign(parameter, { style: 'form', explode: true });
    return parameter;
  });
}
function formBody(params) {
  const properties = {};
  const required = [];
  for (const [name, p] of Object.entries(params)) {
    properties[name] = p.since ? since(p.since, p.schema) : p.schema;
    if (p.required) required.push(name);
  }
  const schema = { type: 'object', properties, required, additionalProperties: false };
  const encoding = Object.fromEntries(
    Object.entries(properties)
      .filter(([, s]) => s.type === 'array')
      .map(([name]) => [name, { style: 'form', explode: true }]),
  );
  return {
    required: true,
    content: {
      'application/x-www-form-urlencoded': {
        schema,
        ...(Object.keys(encoding).length > 0 ? { encoding } : {}),
      },
    },
  };
}

// ---- responses ------------------------------------------------------------------------------------------------
const errorCodes = {
  400: 'bad_data: a parameter is missing or invalid (a PromQL parse error, a bad time)',
  404: 'not_found',
  406: 'not_acceptable (2.46+)',
  422: 'execution: the expression cannot be executed (RFC 4918)',
  499: 'canceled (2.43+; 503 before)',
  500: 'internal',
  503: 'timeout or canceled (2.42), unavailable',
};
function responses(dataSchema, description) {
  const out = {
    200: {
      description,
      content: { 'application/json': { schema: envelope(dataSchema) } },
    },
  };
  for (const [code, text] of Object.entries(errorCodes)) {
    out[code] = { description: text, content: { 'application/json': { schema: ref('ErrorResponse') } } };
  }
  return out;
}
function envelope(data) {
  return closed(
    { status: { type: 'string', const: 'success' }, data },
    { warnings: ref('Warnings'), infos: since('2.54.0', ref('Warnings')) },
  );
}

function operation(operationId, summary, { params, post, data, dataDescription, tag }) {
  const get = {
    operationId,
    summary,
    tags: [tag],
    parameters: inQuery(params),
    responses: responses(data, dataDescription),
  };
  const item = { get };
  if (post) {
    item.post = {
      operationId: `${operationId}Post`,
      summary: `${summary} (form body: long expressions and many matchers fit)`,
      tags: [tag],
      requestBody: formBody(params),
      responses: responses(data, dataDescription),
    };
  }
  return item;
}

// ---- schemas -------------------------------------------------------------------------------------------------
const sampleValue = {
  type: 'string',
  pattern: '^(NaN|[+-]Inf|-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?)$',
  description: 'a float as text, so NaN, +Inf and -Inf survive JSON',
};
const schemas = {
  Labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'label name → value' },
  Warnings: arrayOf(str()),
  Timestamp: num('unix seconds, millisecond precision (a float)'),
  SampleValue: sampleValue,
  FloatPoint: {
    type: 'array',
    prefixItems: [ref('Timestamp'), ref('SampleValue')],
    items: false,
    minItems: 2,
    description: '[unix seconds, value]',
  },
  HistogramBucket: {
    type: 'array',
    prefixItems: [
      {
        type: 'integer',
        enum: [0, 1, 2, 3],
        description: '0 open left, 1 open right, 2 open both, 3 closed both',
      },
      ref('SampleValue'),
      ref('SampleValue'),
      ref('SampleValue'),
    ],
    items: false,
    minItems: 4,
    description: '[boundary rule, lower bound, upper bound, count]',
  },
  NativeHistogram: closed(
    { count: ref('SampleValue'), sum: ref('SampleValue') },
    { buckets: arrayOf(ref('HistogramBucket')) },
    'a native histogram (experimental in 2.x behind --enable-feature=native-histograms, stable in 3.x)',
  ),
  HistogramPoint: {
    type: 'array',
    prefixItems: [ref('Timestamp'), ref('NativeHistogram')],
    items: false,
    minItems: 2,
    description: '[unix seconds, histogram]',
  },
  StringPoint: {
    type: 'array',
    prefixItems: [ref('Timestamp'), str()],
    items: false,
    minItems: 2,
    description: '[unix seconds, string]',
  },
  FloatSample: closed({ metric: ref('Labels'), value: ref('FloatPoint') }),
  HistogramSample: closed({ metric: ref('Labels'), histogram: ref('HistogramPoint') }),
  Series: closed(
    { metric: ref('Labels') },
    { values: arrayOf(ref('FloatPoint')), histograms: arrayOf(ref('HistogramPoint')) },
    'one series of a matrix: float points, histogram points, or both (3.x docs allow both); at least one of them',
  ),
  QueryStats: {
    type: 'object',
    additionalProperties: true,
    description: 'with stats=all: timings and sample counts; their fields change across 3.x, so left open',
  },
  VectorData: closed(
    {
      resultType: { type: 'string', const: 'vector' },
      result: arrayOf({ oneOf: [ref('FloatSample'), ref('HistogramSample')] }),
    },
    { stats: ref('QueryStats') },
  ),
  MatrixData: closed(
    { resultType: { type: 'string', const: 'matrix' }, result: arrayOf(ref('Series')) },
    {
      stats: ref('QueryStats'),
    },
  ),
  ScalarData: closed(
    { resultType: { type: 'string', const: 'scalar' }, result: ref('FloatPoint') },
    {
      stats: ref('QueryStats'),
    },
  ),
  StringData: closed(
    { resultType: { type: 'string', const: 'string' }, result: ref('StringPoint') },
    {
      stats: ref('QueryStats'),
    },
  ),
  QueryData: {
    oneOf: [ref('VectorData'), ref('MatrixData'), ref('ScalarData'), ref('StringData')],
    discriminator: {
      propertyName: 'resultType',
      mapping: {
        vector: '#/components/schemas/VectorData',
        matrix: '#/components/schemas/MatrixData',
        scalar: '#/components/schemas/ScalarData',
        string: '#/components/schemas/StringData',
      },
    },
  },
  ErrorType: {
    type: 'string',
    enum: [
      'timeout',
      'canceled',
      'execution',
      'bad_data',
      'internal',
      'unavailable',
      'not_found',
      'not_acceptable',
    ],
  },
  ErrorResponse: closed(
    { status: { type: 'string', const: 'error' }, errorType: ref('ErrorType'), error: str() },
    { data: {}, warnings: ref('Warnings'), infos: since('2.54.0', ref('Warnings')) },
    'what every handler error answers; data and warnings may come with it',
  ),
  MetricType: {
    type: 'string',
    enum: ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'],
  },
  MetricMetadata: closed({ type: ref('MetricType'), help: str(), unit: str() }),
  Target: closed(
    {
      discoveredLabels: ref('Labels'),
      labels: ref('Labels'),
      scrapePool: str(),
      scrapeUrl: str(),
      globalUrl: str(),
      lastError: str(),
      lastScrape: str('RFC 3339'),
      lastScrapeDuration: num('seconds'),
      health: { type: 'string', enum: ['up', 'down', 'unknown'] },
      scrapeInterval: str(),
      scrapeTimeout: str(),
    },
    {},
  ),
  DroppedTarget: closed({ discoveredLabels: ref('Labels') }, { scrapePool: since('3.0.0', str()) }),
  TargetDiscovery: closed(
    { activeTargets: arrayOf(ref('Target')), droppedTargets: arrayOf(ref('DroppedTarget')) },
    { droppedTargetCounts: since('2.47.0', { type: 'object', additionalProperties: { type: 'integer' } }) },
  ),
  Alert: closed(
    {
      labels: ref('Labels'),
      annotations: ref('Labels'),
      state: { type: 'string', enum: ['pending', 'firing'] },
      value: ref('SampleValue'),
    },
    { activeAt: str('RFC 3339'), keepFiringSince: str('RFC 3339') },
  ),
  RuleHealth: { type: 'string', enum: ['ok', 'err', 'unknown'] },
  AlertingRule: closed(
    {
      type: { type: 'string', const: 'alerting' },
      name: str(),
      query: str(),
      duration: num('seconds of `for`'),
      labels: ref('Labels'),
      annotations: ref('Labels'),
      alerts: {
        type: ['array', 'null'],
        items: ref('Alert'),
        description: 'null when the call asked for exclude_alerts',
      },
      state: {
        type: 'string',
        enum: ['inactive', 'pending', 'firing', 'unknown'],
        description: 'unknown: not evaluated yet (3.x; 2.42 says inactive)',
      },
      health: ref('RuleHealth'),
      evaluationTime: num('seconds'),
      lastEvaluation: str('RFC 3339'),
    },
    { keepFiringFor: num('seconds'), lastError: str() },
  ),
  RecordingRule: closed(
    {
      type: { type: 'string', const: 'recording' },
      name: str(),
      query: str(),
      health: ref('RuleHealth'),
      evaluationTime: num('seconds'),
      lastEvaluation: str('RFC 3339'),
    },
    { labels: ref('Labels'), lastError: str() },
  ),
  Rule: {
    oneOf: [ref('AlertingRule'), ref('RecordingRule')],
    discriminator: {
      propertyName: 'type',
      mapping: {
        alerting: '#/components/schemas/AlertingRule',
        recording: '#/components/schemas/RecordingRule',
      },
    },
  },
  RuleGroup: closed(
    {
      name: str(),
      file: str(),
      rules: arrayOf(ref('Rule')),
      interval: num('seconds'),
      limit: { type: 'integer' },
      evaluationTime: num('seconds'),
      lastEvaluation: str('RFC 3339'),
    },
    {},
  ),
  RuleDiscovery: closed({ groups: arrayOf(ref('RuleGroup')) }, { groupNextToken: since('3.0.0', str()) }),
  AlertDiscovery: closed({ alerts: arrayOf(ref('Alert')) }),
  BuildInfo: closed({
    version: str('e.g. 2.42.0, or 2.42.0+ds for Debian'),
    revision: str(),
    branch: str(),
    buildUser: str(),
    buildDate: str(),
    goVersion: str(),
  }),
};

const spec = {
  openapi: '3.1.0',
  info: {
    title: 'Prometheus HTTP API v1 (the part @mlops/metrics uses)',
    version: '2.42.0',
    description:
      'Written by us (scripts/prometheus_openapi.mjs) for the pinned Prometheus 2.42 and checked against 3.x; parameters and fields newer than 2.42 carry x-prometheus-since.',
  },
  servers: [{ url: 'http://127.0.0.1:9090' }],
  paths: {
    '/api/v1/query': operation('query', 'Evaluates an instant query', {
      params: queryParams,
      post: true,
      data: ref('QueryData'),
      dataDescription: 'the result of the expression at one time',
      tag: 'query',
    }),
    '/api/v1/query_range': operation('queryRange', 'Evaluates an expression over a range of time', {
      params: rangeParams,
      post: true,
      data: ref('MatrixData'),
      dataDescription: 'always a matrix',
      tag: 'query',
    }),
    '/api/v1/series': operation('series', 'Finds series by label matchers', {
      params: selectParams(true),
      post: true,
      data: arrayOf(ref('Labels')),
      dataDescription: 'the label sets of the matching series',
      tag: 'metadata',
    }),
    '/api/v1/labels': operation('labels', 'Lists label names', {
      params: selectParams(false),
      post: true,
      data: arrayOf(str()),
      dataDescription: 'label names, sorted',
      tag: 'metadata',
    }),
    '/api/v1/label/{name}/values': {
      get: {
        ...operation('labelValues', 'Lists the values of one label (GET only, also in 3.x)', {
          params: selectParams(false),
          data: arrayOf(str()),
          dataDescription: 'label values, sorted',
          tag: 'metadata',
        }).get,
        parameters: [
          { name: 'name', in: 'path', required: true, schema: str('a label name') },
          ...inQuery(selectParams(false)),
        ],
      },
    },
    '/api/v1/metadata': operation('metadata', 'Metric metadata (type, help, unit) from the scraped targets', {
      params: metadataParams,
      data: { type: 'object', additionalProperties: arrayOf(ref('MetricMetadata')) },
      dataDescription: 'metric name → its metadata entries',
      tag: 'metadata',
    }),
    '/api/v1/targets': operation('targets', 'Scrape targets and their health', {
      params: targetsParams,
      data: ref('TargetDiscovery'),
      dataDescription: 'active and dropped targets',
      tag: 'status',
    }),
    '/api/v1/rules': operation('rules', 'Loaded alerting and recording rules', {
      params: rulesParams,
      data: ref('RuleDiscovery'),
      dataDescription: 'rule groups',
      tag: 'status',
    }),
    '/api/v1/alerts': operation('alerts', 'Active (pending and firing) alerts', {
      params: {},
      data: ref('AlertDiscovery'),
      dataDescription: 'the active alerts',
      tag: 'status',
    }),
    '/api/v1/status/buildinfo': operation('buildInfo', 'The version of the server', {
      params: {},
      data: ref('BuildInfo'),
      dataDescription: 'build information',
      tag: 'status',
    }),
    '/api/v1/status/flags': operation('flags', 'The command-line flags of the server', {
      params: {},
      data: { type: 'object', additionalProperties: { type: 'string' } },
      dataDescription: 'flag name → value',
      tag: 'status',
    }),
  },
  components: { schemas },
};

process.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
