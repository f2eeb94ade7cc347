// Operations the platform's server cannot serve, each with its actual answer, which the test below asserts
// in full (status, media type, body) on a valid request, so that a reason cannot go stale: the day the server
// serves one, its test fails and the operation moves to a suite that calls it for real.
import { describe, it } from 'vitest';
import { expectRefusal, mlflow, newExperiment, newRun, type Refusal } from './support';

// The route in the message is Flask's, as the server registered it.
const WORKSPACES = (route: string): Refusal => ({
  why: 'the platform runs mlflow server without --enable-workspaces (workspaces partition every store, so they are chosen at the start)',
  status: 503,
  type: 'text/html',
  body: `Endpoint: ${route} disabled because the server is running without workspaces support. To enable workspace, run \`mlflow server\` with \`--enable-workspaces\``,
});
const MULTIPART: Refusal = {
  why: 'the artifact proxy stores into a local directory (--artifacts-destination), which has no multipart upload: that needs S3, GCS or Azure',
  status: 501,
  type: 'application/json',
  body: {
    error_code: 'NOT_IMPLEMENTED',
    message: 'Multipart upload is not supported for the current artifact repository',
  },
};
const PROXIED = (what: 'upload' | 'download'): Refusal => ({
  why: 'run and logged-model artifact URIs are mlflow-artifacts:/ (served by the proxy); presigned URLs need a direct cloud artifact URI',
  status: 400,
  type: 'application/json',
  body: {
    error_code: 'INVALID_PARAMETER_VALUE',
    message:
      what === 'download'
        ? 'Presigned download is not supported for runs with proxied artifact storage (artifact URI scheme: mlflow-artifacts). This endpoint requires a run with a direct cloud storage artifact URI.'
        : 'Presigned upload is not supported for proxied artifact storage (artifact URI scheme: mlflow-artifacts). This endpoint requires a direct cloud storage artifact URI.',
    sqlstate: 'KAM00',
    error_class: 'INVALID_PARAMETER_VALUE',
  },
});

/** The job id asked for: no job can exist on a server that does not execute jobs. */
export const NO_JOB = 'contract-no-such-job';
const NO_SUCH_JOB: Refusal = {
  why: 'no prompt optimization job can exist: the platform runs mlflow server with MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false, so creating one fails',
  status: 404,
  type: 'application/json',
  body: {
    error_code: 'RESOURCE_DOES_NOT_EXIST',
    message: `Job with ID ${NO_JOB} not found`,
    sqlstate: 'KAM00',
    error_class: 'RESOURCE_NOT_FOUND',
  },
};

export const refusals: Readonly<Record<string, Refusal>> = {
  MlflowService_listWorkspaces: WORKSPACES('/api/3.0/mlflow/workspaces'),
  MlflowService_createWorkspace: WORKSPACES('/api/3.0/mlflow/workspaces'),
  MlflowService_getWorkspace: WORKSPACES('/api/3.0/mlflow/workspaces/<workspace_name>'),
  MlflowService_updateWorkspace: WORKSPACES('/api/3.0/mlflow/workspaces/<workspace_name>'),
  MlflowService_deleteWorkspace: WORKSPACES('/api/3.0/mlflow/workspaces/<workspace_name>'),
  MlflowArtifactsService_createMultipartUpload: MULTIPART,
  MlflowArtifactsService_completeMultipartUpload: MULTIPART,
  MlflowArtifactsService_abortMultipartUpload: MULTIPART,
  MlflowArtifactsService_getPresignedDownloadUrl: {
    why: 'the local artifact directory has no presigned URLs (S3, GCS or Azure only)',
    status: 501,
    type: 'application/json',
    body: {
      error_code: 'NOT_IMPLEMENTED',
      message: 'Multipart download is not supported for the current artifact repository',
    },
  },
  MlflowService_createPresignedDownloadUrl: PROXIED('download'),
  MlflowService_createPresignedUploadUrl: PROXIED('upload'),
  MlflowService_createPromptOptimizationJob: {
    why: 'the platform runs mlflow server with MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false (no background job runner); the handler creates the run, then fails submitting the job',
    status: 500,
    type: 'application/json',
    body: {
      error_code: 'INTERNAL_ERROR',
      message:
        "Mlflow server job execution feature is not enabled, please set environment variable 'MLFLOW_SERVER_ENABLE_JOB_EXECUTION' to 'true' to enable it.",
      sqlstate: 'XXM00',
      error_class: 'CLIENT_INTERNAL_ERROR',
    },
  },
  MlflowService_getPromptOptimizationJob: NO_SUCH_JOB,
  MlflowService_cancelPromptOptimizationJob: NO_SUCH_JOB,
  MlflowService_deletePromptOptimizationJob: NO_SUCH_JOB,
};

describe('operations the platform server cannot serve answer exactly as recorded', () => {
  it('workspaces: 503 text while the server runs without --enable-workspaces', async () => {
    const name = 'contract-workspace';
    await expectRefusal(refusals, '/api/3.0/mlflow/workspaces', 'get', '/api/3.0/mlflow/workspaces');
    await expectRefusal(refusals, '/api/3.0/mlflow/workspaces', 'post', '/api/3.0/mlflow/workspaces', {
      name,
      description: 'contract test',
    });
    const one = '/api/3.0/mlflow/workspaces/{workspace_name}';
    await expectRefusal(refusals, one, 'get', `/api/3.0/mlflow/workspaces/${name}`);
    await expectRefusal(refusals, one, 'patch', `/api/3.0/mlflow/workspaces/${name}`, { description: 'x' });
    await expectRefusal(refusals, one, 'delete', `/api/3.0/mlflow/workspaces/${name}`);
  });

  it('multipart upload and presigned download through the proxy: 501 on a local artifact directory', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const run = await mlflow.get('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } });
    const file = `${run.run!.info!.artifact_uri!.replace(/^mlflow-artifacts:\//, '')}/big.bin`;
    const mpu = '/api/2.0/mlflow-artifacts/mpu';
    await expectRefusal(refusals, `${mpu}/create/{artifact_path}`, 'post', `${mpu}/create/${file}`, {
      path: file,
      num_parts: 2,
    });
    await expectRefusal(refusals, `${mpu}/complete/{artifact_path}`, 'post', `${mpu}/complete/${file}`, {
      path: file,
      upload_id: 'upload-1',
      parts: [{ part_number: 1, etag: 'etag-1', url: 'https://storage.example/part-1' }],
    });
    await expectRefusal(refusals, `${mpu}/abort/{artifact_path}`, 'post', `${mpu}/abort/${file}`, {
      path: file,
      upload_id: 'upload-1',
    });
    const presigned = '/api/2.0/mlflow-artifacts/presigned';
    await expectRefusal(refusals, `${presigned}/{artifact_path}`, 'get', `${presigned}/${file}`);
  });

  it('presigned URLs of run and logged-model artifacts: 400 for proxied (mlflow-artifacts:/) storage', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const download = '/api/2.0/mlflow/artifacts/presigned-download-url';
    await expectRefusal(refusals, download, 'post', download, { run_id: runId, path: 'model/MLmodel' });
    const upload = '/api/2.0/mlflow/artifacts/presigned-upload-url';
    await expectRefusal(refusals, upload, 'post', upload, { run_id: runId, path: 'model/MLmodel' });
  });
});
