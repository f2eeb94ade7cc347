import { FeatureStore } from '@mlops/feast';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/program';
import { PACKAGE_VERSION } from '../src/version';
import { mlops } from './support/cli';
import { deadUrl, feastRepo } from './support/platform';

describe('the mlops CLI', () => {
  it('prints its version and help with exit 0', async () => {
    expect(await mlops(['--version'])).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
    const help = await mlops(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('Exit codes:\n  0  success\n  1  the command ran and failed');
    expect(help.stdout).toContain('mlops feast get -f driver_hourly_stats:conv_rate -e driver_id=1001');
  });

  it('exits 2 on bad usage, saying what was wrong', async () => {
    const unknown = await mlops(['bogus']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain("unknown command 'bogus'");
    const missing = await mlops(['feast', 'get', '-f', 'driver_hourly_stats:conv_rate']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain("required option '-e, --entity <key=values...>' not specified");
    const both = await mlops(['feast', 'get', '-e', 'driver_id=1', '-f', 'a:b', '-s', 'svc']);
    expect(both.code).toBe(EXIT.usage);
    expect(both.stderr).toBe('mlops: give exactly one of --features and --feature-service\n');
    const notInt = await mlops([
      'feast',
      'get',
      '-f',
      'driver_hourly_stats:conv_rate',
      '-e',
      'driver_id=abc',
    ]);
    expect(notInt.code).toBe(EXIT.usage);
    expect(notInt.stderr).toBe(
      "mlops: --entity driver_id is INT64 in the registry; 'abc' is not an integer\n",
    );
    const noZone = await mlops([
      'feast',
      'materialize',
      '--start',
      '2026-01-01T00:00:00',
      '--end',
      '2026-01-02T00:00:00Z',
    ]);
    expect(noZone.code).toBe(EXIT.usage);
    expect(noZone.stderr).toContain('--start takes an ISO 8601 time with a zone');
  });

  it('doctor --json reports every component of the running platform', async () => {
    const { code, stdout } = await mlops(['doctor', '--json']);
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ component: string; ok: boolean }> };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(code).toBe(EXIT.ok);
  });

  it('doctor exits 1 and says what to fix when a component is unreachable', async () => {
    const { code, stdout, stderr } = await mlops(['doctor', '-c', 'mlflow'], { mlflowUrl: deadUrl });
    expect(code).toBe(EXIT.failed);
    expect(stdout).toMatch(/^mlflow\s+FAIL/m);
    expect(stderr).toBe(
      `mlflow: nothing answers at ${deadUrl}: start it (pnpm platform up mlflow) or point MLFLOW_TRACKING_URI at yours\n`,
    );
    expect((await mlops(['doctor', '-c', 'nope'])).code).toBe(EXIT.usage);
  });

  it('feast get --json gives what FeatureStore gives, int64 values exact', async () => {
    const { code, stdout, stderr } = await mlops([
      'feast',
      'get',
      '-f',
      'driver_hourly_stats:conv_rate,driver_hourly_stats:avg_daily_trips',
      '-e',
      'driver_id=1001,1002,424242',
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const store = new FeatureStore({ repoPath: feastRepo });
    const expected = await store
      .getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
        entities: { driver_id: [1001n, 1002n, 424242n] },
      })
      .then((result) => result.toObjects())
      .finally(() => store.close());
    // The JSON text keeps int64 as exact numbers; parse them back as bigint to compare.
    const parsed = JSON.parse(stdout, (_key, value, context?: { source?: string }) =>
      typeof value === 'number' && Number.isInteger(value) && context?.source && !context.source.includes('.')
        ? BigInt(context.source)
        : value,
    ) as unknown[];
    expect(parsed).toEqual(expected);
    expect(expected).toHaveLength(3);
  });

  it('feast get names the closest feature when one is misspelt, exit 1', async () => {
    const { code, stderr } = await mlops([
      'feast',
      'get',
      '-f',
      'driver_hourly_stats:conv_rat',
      '-e',
      'driver_id=1001',
    ]);
    expect(code).toBe(EXIT.failed);
    expect(stderr).toContain('Did you mean "conv_rate"?');
  });

  it("platform runs the clone's platform script, and says how to find one outside a clone", async () => {
    expect((await mlops(['platform', 'env'])).code).toBe(EXIT.ok);
    const outside = await mlops(['platform', 'status'], { cwd: '/' });
    expect(outside.code).toBe(EXIT.usage);
    expect(outside.stderr).toContain('set MLOPS_PLATFORM_DIR');
    const bad = await mlops(['platform', 'explode']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("unknown platform action 'explode'");
  }, 30_000);
});
