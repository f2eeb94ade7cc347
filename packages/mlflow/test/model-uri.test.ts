// models:/ and runs:/ URIs parsed as MLflow parses them; malformed ones are a ModelUriError that lists the
// accepted forms. (Resolution against the real server is in model-uri.interop.test.ts.)
import { ModelUriError, parseModelUri } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';

const id = 'm-0123456789abcdef0123456789abcdef';

describe('parseModelUri', () => {
  it.each([
    ['models:/churn@champion', { kind: 'alias', name: 'churn', alias: 'champion', subPath: '' }],
    [
      'models:/churn@champion/data/x.bin',
      { kind: 'alias', name: 'churn', alias: 'champion', subPath: 'data/x.bin' },
    ],
    ['models:/churn/3', { kind: 'version', name: 'churn', version: '3', subPath: '' }],
    ['models:///churn/3/MLmodel', { kind: 'version', name: 'churn', version: '3', subPath: 'MLmodel' }],
    ['models:/churn/Production', { kind: 'stage', name: 'churn', stage: 'Production', subPath: '' }],
    ['models:/churn/latest', { kind: 'latest', name: 'churn', subPath: '' }],
    ['models:/churn ?#ü@a', { kind: 'alias', name: 'churn ?#ü', alias: 'a', subPath: '' }],
    [`models:/${id}`, { kind: 'logged-model', modelId: id, subPath: '' }],
    [`models:/${id}/MLmodel`, { kind: 'logged-model', modelId: id, subPath: 'MLmodel' }],
    ['runs:/0a1b2c/model', { kind: 'run', runId: '0a1b2c', path: 'model' }],
    ['runs:/0a1b2c/model/sub/', { kind: 'run', runId: '0a1b2c', path: 'model/sub' }],
  ])('%s', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected);
  });

  it.each([
    'churn@champion',
    'models:/churn',
    'models:/@a',
    'models:/churn@',
    's3://bucket/model',
    'models:/',
  ])('%s is a ModelUriError', (uri) => {
    const error = (() => {
      try {
        parseModelUri(uri);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ModelUriError);
    expect((error as ModelUriError).uri).toBe(uri);
    expect((error as ModelUriError).message).toContain('models:/<name>@<alias>');
  });
});
