// Our Run and Metric in the JSON shape the Python helper (mlflow_py_server.py) prints Python's, so the two
// compare field by field with one toEqual.
import type { Metric, Run } from '../../src/index';

export type PyFloat = number | 'NaN' | 'Infinity' | '-Infinity';

export function pyFloat(value: number): PyFloat {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export function asPython(run: Run) {
  return {
    info: {
      run_id: run.info.runId,
      run_name: run.info.runName,
      experiment_id: run.info.experimentId,
      user_id: run.info.userId,
      status: run.info.status,
      start_time: run.info.startTime ?? null,
      end_time: run.info.endTime ?? null,
      lifecycle_stage: run.info.lifecycleStage,
      artifact_uri: run.info.artifactUri,
    },
    data: {
      metrics: Object.fromEntries(Object.entries(run.data.metrics).map(([k, v]) => [k, pyFloat(v)])),
      params: run.data.params,
      tags: run.data.tags,
    },
    inputs: {
      dataset_inputs: run.inputs.datasetInputs.map((d) => ({
        dataset: {
          name: d.dataset.name,
          digest: d.dataset.digest,
          source_type: d.dataset.sourceType,
          source: d.dataset.source,
          schema: d.dataset.schema ?? null,
          profile: d.dataset.profile ?? null,
        },
        tags: d.tags,
      })),
    },
  };
}

export function metricAsPython(m: Metric) {
  return { key: m.key, value: pyFloat(m.value), timestamp: m.timestamp, step: m.step };
}
