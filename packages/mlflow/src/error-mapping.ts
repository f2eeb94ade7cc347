// How MLflow's answers become @mlops errors. MLflow puts its meaning in the body's `error_code` and maps
// codes to statuses loosely (RESOURCE_ALREADY_EXISTS is a 400, mlflow/exceptions.py), so the class follows
// the code when there is one and the status otherwise; the code is kept on the error (`error.code`).
// Plain-text and HTML bodies (basic auth, Flask's 404 page, a proxy) keep core's status mapping; a 404
// without a JSON body is an unknown route, which Python's client calls ENDPOINT_NOT_FOUND too.
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from '@mlops/core';
import type { ApiErrorInit } from '@mlops/core/sdk';

type ErrorClass = new (init: ApiErrorInit, message?: string) => ApiError;

const CLASS_OF_CODE: Readonly<Record<string, ErrorClass>> = {
  RESOURCE_DOES_NOT_EXIST: NotFoundError,
  NOT_FOUND: NotFoundError,
  ENDPOINT_NOT_FOUND: NotFoundError,
  RESOURCE_ALREADY_EXISTS: ConflictError,
  ALREADY_EXISTS: ConflictError,
  RESOURCE_CONFLICT: ConflictError,
  ABORTED: ConflictError,
  INVALID_PARAMETER_VALUE: BadRequestError,
  BAD_REQUEST: BadRequestError,
  MALFORMED_REQUEST: BadRequestError,
  INVALID_STATE: BadRequestError,
  UNAUTHENTICATED: AuthenticationError,
  PERMISSION_DENIED: PermissionDeniedError,
  CUSTOMER_UNAUTHORIZED: PermissionDeniedError,
  REQUEST_LIMIT_EXCEEDED: RateLimitError,
  RESOURCE_EXHAUSTED: RateLimitError,
  INTERNAL_ERROR: InternalServerError,
};

/** MLflow's `error_code`, from a JSON error body; `ENDPOINT_NOT_FOUND` for a 404 that is not JSON. */
export function mlflowErrorCode(status: number, body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null) {
    const code = (body as { error_code?: unknown }).error_code;
    if (typeof code === 'string' && code !== '') return code;
  }
  if (status === 404 && (typeof body === 'string' || body === undefined)) return 'ENDPOINT_NOT_FOUND';
  return undefined;
}

/** The error to raise for an MLflow answer: class by error code, then by status; advice where it helps. */
export function classifyMlflowError(init: ApiErrorInit): ApiError {
  const code = mlflowErrorCode(init.status, init.body);
  const withCode: ApiErrorInit = { ...init, code };
  const Class =
    (code === undefined ? undefined : CLASS_OF_CODE[code]) ??
    (init.status === 401 ? AuthenticationError : init.status === 403 ? PermissionDeniedError : undefined);
  const described = ApiError.describe(withCode);
  if (Class === AuthenticationError || init.status === 401) {
    return new AuthenticationError(
      withCode,
      `${described}. MLflow wants credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN), or pass username and password (or token) to new MlflowClient().`,
    );
  }
  if (Class === PermissionDeniedError && !/host header|cross-origin/i.test(String(init.body))) {
    return new PermissionDeniedError(
      withCode,
      `${described}. The user is authenticated but lacks the permission: ask an MLflow admin to grant it (MLflow's auth API, e.g. experiments/permissions/create), or use another user.`,
    );
  }
  if (Class === undefined) return ApiError.from(withCode);
  return new Class(withCode);
}
