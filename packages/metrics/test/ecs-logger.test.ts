import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createEcsLogger } from '../src/index';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) };
}

describe('createEcsLogger', () => {
  it('writes ECS fields, and keeps process.pid and host.hostname next to the caller’s base fields', () => {
    const out = capture();
    const log = createEcsLogger({
      service: { name: 'churn-api', version: '1.4.0', environment: 'test' },
      base: { labels: { team: 'ml' } },
      destination: out,
    });
    log.warn({ labels: { model: 'churn' } }, 'slow %s', 'request');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({
      'log.level': 'warn',
      message: 'slow request',
      'ecs.version': '8.10.0',
      'service.name': 'churn-api',
      'service.version': '1.4.0',
      'service.environment': 'test',
      'event.dataset': 'churn-api',
      'process.pid': process.pid,
      'host.hostname': hostname(),
    });
    expect(typeof out.lines[0]?.['@timestamp']).toBe('string');
  });

  it('drops lines below its level and refuses a logger without service.name', () => {
    const out = capture();
    createEcsLogger({ service: { name: 'a' }, level: 'warn', destination: out }).info('not written');
    expect(out.lines).toEqual([]);
    expect(() => createEcsLogger({ service: { name: '' } })).toThrow('createEcsLogger needs service.name');
  });
});
