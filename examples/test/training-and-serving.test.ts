import { randomUUID } from 'node:crypto';
import { createPlatform, registerModel } from '@mlops/platform';
import { describe, expect, it } from 'vitest';
import { main as servingService } from '../src/serving-service';
import { main as trainingScript } from '../src/training-script';

// The training script and the serving service against the real platform: Feast (PostgreSQL, Redis), MLflow, and
// the platform's Python (the `training` venv). Training is the slow part: about a minute on a loaded machine.
describe('training-script, then serving-service', () => {
  it('trains and registers a model, serves it, and follows the champion alias', {
    timeout: 600_000,
  }, async () => {
    const model = `examples-driver-${randomUUID().slice(0, 8)}`;
    const lines: string[] = [];
    const trained = await trainingScript({ model, log: (line) => lines.push(line) });
    expect(trained).toMatchObject({ version: '1', aliasMoved: true, rows: 300 });
    expect(trained.metrics.test_accuracy).toBeGreaterThanOrEqual(0.7);
    expect(lines[0]).toBe('training set: 300 rows');

    const service = await servingService({
      model,
      port: 0,
      refreshIntervalMs: 300,
      log: (line) => lines.push(line),
    });
    try {
      const predict = async (ids: number[]) => {
        const response = await fetch(`${service.url}/predict`, {
          method: 'POST',
          body: JSON.stringify({ rows: ids.map((driver_id) => ({ driver_id })) }),
        });
        return {
          status: response.status,
          body: (await response.json()) as {
            model: { name: string; version: string; runId: string };
            predictions: Array<{ label: number; probabilities: number[] }>;
          },
        };
      };
      const first = await predict([1001, 1002, 2001]);
      expect(first.status).toBe(200);
      expect(first.body.model).toMatchObject({ name: model, version: '1', runId: trained.runId });
      expect(first.body.predictions).toHaveLength(3);
      for (const p of first.body.predictions) {
        expect([0, 1]).toContain(Number(p.label));
        expect(p.probabilities[0]! + p.probabilities[1]!).toBeCloseTo(1, 5);
      }
      const health = (await (await fetch(`${service.url}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ ready: true, model: { name: model, version: '1', flavor: 'onnx' } });
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toContain(
        `mlops_inference_requests_total{model_name="${model}",model_version="1",outcome="success"} 1`,
      );

      // A new version from the same run takes champion: the service swaps to it on its next refresh.
      await using platform = createPlatform();
      const second = await registerModel(platform, {
        runId: trained.runId,
        artifactPath: 'model',
        name: model,
        alias: 'champion',
      });
      expect(second.version.version).toBe('2');
      const deadline = Date.now() + 30_000;
      while (service.version() !== '2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(service.version()).toBe('2');
      expect((await predict([1003])).body.model.version).toBe('2');
      expect(lines).toContain('champion moved: version 1 -> 2');
    } finally {
      await service.close();
    }
  });
});
