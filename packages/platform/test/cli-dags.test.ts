import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/program';
import { mlops } from './support/cli';

describe('mlops dags, against the platform Airflow', () => {
  it('trigger --wait --json runs the DAG with its conf and gives the leaf XComs', {
    timeout: 240_000,
  }, async () => {
    const { code, stdout, stderr } = await mlops([
      'dags',
      'trigger',
      'xcom_example',
      '--conf',
      '{"n": 7}',
      '--wait',
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(stdout) as {
      run: { state: string; conf: unknown };
      xcoms: Record<string, unknown>;
    };
    expect(result.run.state).toBe('success');
    expect(result.run.conf).toEqual({ n: 7 });
    expect(result.xcoms).toEqual({ total: 21 });
  });

  it('trigger --wait on a failing DAG exits 1 naming the failed task and its log', {
    timeout: 240_000,
  }, async () => {
    const { code, stdout, stderr } = await mlops(['dags', 'trigger', 'always_fails', '--wait']);
    expect(code).toBe(EXIT.failed);
    expect(stdout).toMatch(/^always_fails\/\S+: failed$/m);
    expect(stdout).toMatch(/^ {2}fail \(try 1, failed\); last log lines:$/m);
    expect(stdout).toContain('this task fails on purpose');
    expect(stderr).toMatch(/^fail: .* -> failed \(try 1\)$/m);
  });

  it('refuses a conf that is not a JSON object with exit 2, before anything is sent', async () => {
    const { code, stderr } = await mlops(['dags', 'trigger', 'xcom_example', '--conf', '[1,2]']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe('mlops: --conf takes a JSON object, e.g. --conf \'{"n": 5}\'; got [1,2]\n');
  });

  it('list shows the platform DAGs', { timeout: 60_000 }, async () => {
    const { code, stdout } = await mlops(['dags', 'list', '--json']);
    expect(code).toBe(EXIT.ok);
    const ids = (JSON.parse(stdout) as Array<{ dag_id: string }>).map((d) => d.dag_id);
    expect(ids).toEqual(
      expect.arrayContaining(['feature_pipeline', 'always_fails', 'xcom_example', 'train_on_fresh_features']),
    );
  });
});
