// The types of the registry, artifact and model-resolution surface: what each call takes and gives.
import type { Paginator } from '@mlops/core';
import {
  type ArtifactInfo,
  type LoggedModel,
  type MLmodel,
  MlflowClient,
  type ModelVersion,
  type RegisteredModel,
  type ResolvedModel,
  signatureSchema,
  type TransferProgress,
  validateInput,
} from '@mlops/mlflow';
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';

const client = new MlflowClient();

describe('registry', () => {
  it('answers Python-shaped entities', () => {
    expectTypeOf(client.getRegisteredModel('m')).resolves.toEqualTypeOf<RegisteredModel>();
    expectTypeOf(client.getModelVersionByAlias('m', 'champion')).resolves.toEqualTypeOf<ModelVersion>();
    expectTypeOf<RegisteredModel['aliases']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<ModelVersion['version']>().toEqualTypeOf<string>();
    expectTypeOf<ModelVersion['status']>().toEqualTypeOf<
      'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY' | undefined
    >();
    expectTypeOf(client.getLoggedModel('m-1')).resolves.toEqualTypeOf<LoggedModel>();
  });

  it('searches are paginators, and one page at a time', () => {
    expectTypeOf(client.searchRegisteredModels()).toEqualTypeOf<Paginator<RegisteredModel>>();
    expectTypeOf(client.searchModelVersions({ filter: "name = 'm'" })).toEqualTypeOf<
      Paginator<ModelVersion>
    >();
    expectTypeOf(client.searchLoggedModels(['1'])).toEqualTypeOf<Paginator<LoggedModel>>();
    expectTypeOf(client.searchRegisteredModelsPage({ pageToken: 't' }))
      .resolves.toHaveProperty('nextPageToken')
      .toEqualTypeOf<string | undefined>();
  });

  it('versions are numbers or strings; stages are the legacy four', () => {
    client.setRegisteredModelAlias('m', 'a', 3);
    client.setRegisteredModelAlias('m', 'a', '3');
    client.transitionModelVersionStage('m', 1, 'Production');
    // @ts-expect-error: not a stage
    client.transitionModelVersionStage('m', 1, 'Prod');
    // @ts-expect-error: logged models finalize to READY or UPLOAD_FAILED only
    client.finalizeLoggedModel('m-1', 'LOGGED_MODEL_PENDING');
  });
});

describe('artifacts', () => {
  it('targets runs, logged models, model versions and URIs', () => {
    expectTypeOf(client.listArtifacts('run-id')).resolves.toEqualTypeOf<ArtifactInfo[]>();
    client.listArtifacts({ loggedModelId: 'm-1' }, 'sub', { recursive: true });
    client.downloadArtifacts({ modelVersion: { name: 'm', version: 2 } }, '', { dstPath: '/tmp/x' });
    client.logArtifact({ artifactUri: 'mlflow-artifacts:/1/x' }, new Blob(['x']), { fileName: 'x.txt' });
    // @ts-expect-error: a target is a run id or one of the object forms
    client.listArtifacts({ run: 'x' });
    expectTypeOf(client.downloadArtifacts)
      .parameter(2)
      .exclude<undefined>()
      .toHaveProperty('onProgress')
      .toEqualTypeOf<((progress: TransferProgress) => void) | undefined>();
  });
});

describe('models', () => {
  it('resolves a URI to its version, MLmodel and schema', () => {
    expectTypeOf(client.resolveModel('models:/m@champion')).resolves.toEqualTypeOf<ResolvedModel>();
    expectTypeOf<ResolvedModel['mlmodel']>().toEqualTypeOf<MLmodel>();
    expectTypeOf(client.downloadModel('models:/m/1', '/tmp/m')).resolves.toEqualTypeOf<string>();
    expectTypeOf(signatureSchema).returns.toEqualTypeOf<z.ZodType>();
    expectTypeOf(validateInput<{ x: number }>).returns.toEqualTypeOf<Array<{ x: number }>>();
  });
});
