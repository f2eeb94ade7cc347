// The version gates of the client agree with openapi/prometheus.json's x-prometheus-since, and times and durations
// are sent exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  atLeast,
  durationParam,
  PARAMETER_SINCE,
  parseVersion,
  timeParam,
} from '../../src/prometheus/params';

const spec = JSON.parse(
  readFileSync(new URL('../../../../openapi/prometheus.json', import.meta.url), 'utf8'),
) as {
  paths: Record<string, { get: { parameters: { name: string; schema: Record<string, unknown> }[] } }>;
};
const endpointPaths: Record<string, string> = {
  query: '/api/v1/query',
  query_range: '/api/v1/query_range',
  series: '/api/v1/series',
  labels: '/api/v1/labels',
  label_values: '/api/v1/label/{name}/values',
  metadata: '/api/v1/metadata',
  rules: '/api/v1/rules',
};

describe('version gates', () => {
  it('every gated parameter is marked with the same version in the spec, and every marked parameter is gated', () => {
    const marked: Record<string, string> = {};
    for (const [endpoint, path] of Object.entries(endpointPaths))
      for (const p of spec.paths[path]!.get.parameters) {
        const since = p.schema['x-prometheus-since'];
        if (typeof since === 'string' && since !== '2.42.0') marked[`${endpoint}:${p.name}`] = since;
      }
    expect(marked).toEqual(PARAMETER_SINCE);
  });

  it('reads Debian and prerelease versions, and compares them', () => {
    expect(parseVersion('2.42.0+ds')).toEqual([2, 42, 0]);
    expect(parseVersion('v3.16.0-rc.1')).toEqual([3, 16, 0]);
    expect(parseVersion('')).toBeUndefined();
    expect(atLeast([2, 42, 0], '2.51.0')).toBe(false);
    expect(atLeast([2, 51, 0], '2.51.0')).toBe(true);
    expect(atLeast([3, 0, 0], '2.51.0')).toBe(true);
    expect(atLeast([3, 16, 0], '3.2.0')).toBe(true);
  });
});

describe('times and durations as sent', () => {
  it('milliseconds become exact decimal seconds', () => {
    expect(timeParam('t', 1700000000001)).toBe('1700000000.001');
    expect(timeParam('t', 1700000000120)).toBe('1700000000.12');
    expect(timeParam('t', 1700000000000)).toBe('1700000000');
    expect(timeParam('t', -1500)).toBe('-1.5');
    expect(timeParam('t', new Date('2026-01-02T03:04:05.678Z'))).toBe('1767323045.678');
    expect(timeParam('t', '2026-01-02T03:04:05Z')).toBe('2026-01-02T03:04:05Z');
    expect(() => timeParam('start', 1.5)).toThrow(
      'start must be a valid Date or an integer number of milliseconds',
    );
    expect(() => timeParam('end', new Date('nope'))).toThrow('end must be a valid Date');
  });

  it('durations: milliseconds or Prometheus durations', () => {
    expect(durationParam('step', 15_000)).toBe('15');
    expect(durationParam('step', 250)).toBe('0.25');
    expect(durationParam('step', '1m30s')).toBe('1m30s');
    expect(() => durationParam('step', 0)).toThrow(
      'step must be a positive integer number of milliseconds, got 0.',
    );
    expect(() => durationParam('step', '1.5m')).toThrow('step "1.5m" is not a Prometheus duration');
  });
});
