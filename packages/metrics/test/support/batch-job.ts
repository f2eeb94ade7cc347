// A batch job for batch-job.interop.test.ts, bundled with esbuild and run as its own Node process:
// `node batch-job.cjs <job> <ok|throw|reject|sigterm>`. It sets a gauge, dies the way it is told, and
// pushOnExit must push the last value each time.
import { Gauge, Registry } from 'prom-client';
import { Pushgateway } from '../../src/index';

const [job = 'missing_job', mode = 'ok'] = process.argv.slice(2);
const registry = new Registry();
const rows = new Gauge({ name: 'mlops_test_batch_rows', help: 'Rows done.', registers: [registry] });
new Pushgateway().pushOnExit({ job, registry });
rows.set(1);

if (mode === 'ok') rows.set(10);
if (mode === 'throw')
  setTimeout(() => {
    rows.set(20);
    throw new Error('training diverged');
  }, 10);
if (mode === 'reject') {
  rows.set(30);
  void Promise.reject(new Error('the feature store is gone'));
}
if (mode === 'sigterm') {
  rows.set(40);
  setInterval(() => {}, 1_000); // a job that would run for ever
  process.stdout.write('ready\n');
}
