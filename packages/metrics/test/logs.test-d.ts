import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Logger } from 'pino';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AlertingRule,
  createEcsLogger,
  createServingDashboard,
  createServingRules,
  LogShipper,
  type LogShipperOptions,
  type LogShipperStats,
  type MetricsOptions,
  type RecordingRule,
  type RuleFile,
  servingRulesYaml,
} from '../src/index';

describe('logs', () => {
  it('createEcsLogger returns a pino logger and takes a LogShipper as its destination', () => {
    const shipper = new LogShipper({
      dataStream: 'logs-app-default',
      elasticsearchUrl: 'http://127.0.0.1:9200',
    });
    expectTypeOf(createEcsLogger({ service: { name: 'api' }, destination: shipper })).toEqualTypeOf<Logger>();
    // @ts-expect-error service.name is required
    createEcsLogger({ service: {} });
  });

  it('LogShipperOptions take the config spec fields for Elasticsearch, and a dataStream', () => {
    expectTypeOf<LogShipperOptions['elasticsearchUrl']>().toEqualTypeOf<MetricsOptions['elasticsearchUrl']>();
    expectTypeOf<LogShipperOptions['dataStream']>().toEqualTypeOf<string>();
    expectTypeOf<LogShipperOptions['overflow']>().toEqualTypeOf<'drop-oldest' | 'drop-newest' | undefined>();
    // @ts-expect-error dataStream is required
    new LogShipper({ elasticsearchUrl: 'http://127.0.0.1:9200' });
  });

  it('flush/close/waitForCapacity are promises, stats are numbers', () => {
    const shipper = new LogShipper({ dataStream: 'logs-app-default' });
    expectTypeOf(shipper.flush()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(shipper.close({ timeoutMs: 1000 })).toEqualTypeOf<Promise<void>>();
    expectTypeOf(shipper.waitForCapacity()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(shipper.stats()).toEqualTypeOf<LogShipperStats>();
    expectTypeOf<LogShipperStats['dropped']>().toEqualTypeOf<number>();
  });
});

describe('dashboards and rules', () => {
  it("the dashboard is Grafana's own Dashboard type, the rules a typed rule file", () => {
    expectTypeOf(createServingDashboard()).toEqualTypeOf<Dashboard>();
    expectTypeOf(createServingRules()).toEqualTypeOf<RuleFile>();
    expectTypeOf(servingRulesYaml({ psiThreshold: 0.2 })).toEqualTypeOf<string>();
    expectTypeOf<RuleFile['groups'][number]['rules'][number]>().toEqualTypeOf<RecordingRule | AlertingRule>();
  });
});
