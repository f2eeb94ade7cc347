// The default runtime path when onnxruntime-node is not installed: `import('onnxruntime-node')` fails as it does
// in an install without the optional peer dependency (a module-not-found error), simulated with vi.mock since
// the workspace itself has it installed. The predictor must name the package and how to install it.
import { describe, expect, it, vi } from 'vitest';
import { ModelRuntimeUnavailableError } from '../src/index';
import { loadOnnxRuntime } from '../src/serving/onnx';

vi.mock('onnxruntime-node', () => {
  const error = Object.assign(
    new Error("Cannot find package 'onnxruntime-node' imported from @mlops/platform"),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
  throw error;
});

describe('onnxruntime-node missing', () => {
  it('is a ModelRuntimeUnavailableError naming the package, and a later install is picked up', async () => {
    const error = await loadOnnxRuntime().catch((e: unknown) => e);
    expect(ModelRuntimeUnavailableError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ packageName: 'onnxruntime-node', flavor: 'onnx' });
    expect((error as Error).message).toMatch(/npm install onnxruntime-node/);
    // The failure is not cached: the next call tries the import again.
    const again = await loadOnnxRuntime().catch((e: unknown) => e);
    expect(ModelRuntimeUnavailableError.isInstance(again)).toBe(true);
    expect(again).not.toBe(error);
  });

  it('accepts a module of the wrong shape only as an error', async () => {
    const error = await loadOnnxRuntime(async () => ({ default: { Tensor: 1 } })).catch((e: unknown) => e);
    expect(ModelRuntimeUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('no InferenceSession.create or Tensor');
  });
});
