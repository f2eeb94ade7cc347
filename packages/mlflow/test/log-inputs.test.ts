// How logInputs checks a dataset input before sending it, without a server: MLflow 3.18's column sizes.
import { describe, expect, it } from 'vitest';
import { type DatasetInputInit, MlflowInputError } from '../src/index';
import { datasetInputBody } from '../src/runs';

const dataset = { name: 'd', digest: 'abc', sourceType: 'local', source: '{}' };

function refusal(run: () => unknown): MlflowInputError {
  try {
    run();
  } catch (error) {
    if (MlflowInputError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('the dataset input was accepted');
}

describe('datasetInputBody', () => {
  it('maps a dataset to the wire names, leaving out the schema and profile it does not have', () => {
    expect(datasetInputBody({ dataset, tags: { 'mlflow.data.context': 'train' } }, 0)).toEqual({
      dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '{}' },
      tags: [{ key: 'mlflow.data.context', value: 'train' }],
    });
    expect(
      datasetInputBody({ dataset: { ...dataset, schema: '{}', profile: '{"num_rows": 1}' } }, 0),
    ).toEqual({
      dataset: {
        name: 'd',
        digest: 'abc',
        source_type: 'local',
        source: '{}',
        schema: '{}',
        profile: '{"num_rows": 1}',
      },
      tags: [],
    });
  });

  it.each([
    ['name', 500],
    ['digest', 36],
    ['source', 65_535],
    ['schema', 1_048_575],
    ['profile', 16_777_215],
  ] as const)('takes a %s of %i characters and refuses one more, naming the field', (field, limit) => {
    const at = (text: string) => ({ dataset: { ...dataset, [field]: text } });
    expect(datasetInputBody(at('x'.repeat(limit)), 2).dataset[field]).toHaveLength(limit);
    const error = refusal(() => datasetInputBody(at('x'.repeat(limit + 1)), 2));
    expect(error.field).toBe(`datasets[2].dataset.${field}`);
    expect(error.message).toContain(`MLflow keeps at most ${limit} for a dataset ${field}`);
  });

  it('refuses a field that is not a string, and over-long tags', () => {
    // As plain JavaScript (or JSON) would pass it.
    const notText: DatasetInputInit = JSON.parse(JSON.stringify({ dataset: { ...dataset, sourceType: 3 } }));
    expect(refusal(() => datasetInputBody(notText, 0)).field).toBe('datasets[0].dataset.sourceType');
    expect(refusal(() => datasetInputBody({ dataset, tags: { ['k'.repeat(256)]: 'v' } }, 1)).field).toBe(
      `datasets[1].tags.${'k'.repeat(256)}`,
    );
    expect(refusal(() => datasetInputBody({ dataset, tags: { k: 'v'.repeat(501) } }, 1)).field).toBe(
      'datasets[1].tags.k',
    );
  });
});
