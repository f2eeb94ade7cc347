import { Code, ConnectError } from '@connectrpc/connect';
import { AbortError, ApiError, ConnectionError, MlopsError, TimeoutError } from '@mlops/core';
import { redactUrl, serviceLabel } from '@mlops/core/sdk';

/** One call to the registry server, for its error. */
export interface RegistryCall {
  /** The rpc's name: 'ListEntities', 'ApplyMaterialization'. */
  rpc: string;
  /** The server's base URL. */
  url: string;
  /** The call's deadline, for a DEADLINE_EXCEEDED. */
  timeoutMs: number;
  /** The caller's signal: a CANCELED after it aborted is an AbortError. */
  signal?: AbortSignal | undefined;
}

const SERVICE = 'feast-registry';

/** Each gRPC code's name and the HTTP status the gRPC-HTTP mapping gives it. */
const GRPC: { readonly [C in Code]: readonly [name: string, status: number] } = {
  [Code.Canceled]: ['CANCELED', 499],
  [Code.Unknown]: ['UNKNOWN', 500],
  [Code.InvalidArgument]: ['INVALID_ARGUMENT', 400],
  [Code.DeadlineExceeded]: ['DEADLINE_EXCEEDED', 504],
  [Code.NotFound]: ['NOT_FOUND', 404],
  [Code.AlreadyExists]: ['ALREADY_EXISTS', 409],
  [Code.PermissionDenied]: ['PERMISSION_DENIED', 403],
  [Code.ResourceExhausted]: ['RESOURCE_EXHAUSTED', 429],
  [Code.FailedPrecondition]: ['FAILED_PRECONDITION', 400],
  [Code.Aborted]: ['ABORTED', 409],
  [Code.OutOfRange]: ['OUT_OF_RANGE', 400],
  [Code.Unimplemented]: ['UNIMPLEMENTED', 501],
  [Code.Internal]: ['INTERNAL', 500],
  [Code.Unavailable]: ['UNAVAILABLE', 503],
  [Code.DataLoss]: ['DATA_LOSS', 500],
  [Code.Unauthenticated]: ['UNAUTHENTICATED', 401],
};

/** A refused or dropped connection, whatever code the transport gave it. */
const CONNECTION_CODES: ReadonlySet<unknown> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function isConnectionFailure(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let at = error;
    typeof at === 'object' && at !== null && !seen.has(at);
    at = Reflect.get(at, 'cause')
  ) {
    seen.add(at);
    if (CONNECTION_CODES.has(Reflect.get(at, 'code'))) return true;
  }
  return false;
}

/**
 * A failed registry-server call as the error class its gRPC code means: UNAUTHENTICATED → AuthenticationError,
 * PERMISSION_DENIED → PermissionDeniedError, NOT_FOUND → NotFoundError, INVALID_ARGUMENT, FAILED_PRECONDITION
 * and OUT_OF_RANGE → BadRequestError, ALREADY_EXISTS and ABORTED → ConflictError, RESOURCE_EXHAUSTED →
 * RateLimitError, INTERNAL, UNKNOWN, DATA_LOSS and UNIMPLEMENTED → InternalServerError (each with `grpcCode`
 * and the HTTP status of the gRPC-HTTP mapping); DEADLINE_EXCEEDED → TimeoutError; UNAVAILABLE or a refused
 * connection → ConnectionError; CANCELED after the caller aborted → AbortError. Errors of ours pass through.
 */
export function registryCallError(error: unknown, call: RegistryCall): MlopsError {
  if (MlopsError.isInstance(error)) return error;
  const e = ConnectError.from(error);
  // Credentials redacted; the URL otherwise as configured (redactUrl's parse would add a trailing slash).
  const redacted = redactUrl(call.url);
  const url = !call.url.endsWith('/') && redacted.endsWith('/') ? redacted.slice(0, -1) : redacted;
  const label = serviceLabel(SERVICE);
  const [grpcCode, status] = GRPC[e.code];
  if (e.code === Code.Canceled && call.signal?.aborted) {
    return new AbortError(`${call.rpc} ${url} to ${label} was aborted by the caller.`, {
      reason: call.signal.reason,
      cause: e,
    });
  }
  if (e.code === Code.DeadlineExceeded) {
    return new TimeoutError(
      { service: SERVICE, method: call.rpc, url, scope: 'attempt', timeoutMs: call.timeoutMs, cause: e },
      `${call.rpc} ${url} to ${label} timed out after ${call.timeoutMs} ms (DEADLINE_EXCEEDED${e.rawMessage ? `: ${e.rawMessage}` : ''}).`,
    );
  }
  if (e.code === Code.Unavailable || isConnectionFailure(e)) {
    return new ConnectionError({ service: SERVICE, method: call.rpc, url, cause: e });
  }
  return ApiError.from({
    status,
    grpcCode,
    service: SERVICE,
    method: call.rpc,
    url,
    body: { code: grpcCode, message: e.rawMessage },
    cause: e,
  });
}

/** Runs one registry-server call; its failure as `registryCallError` makes it. */
export async function callRegistry<T>(call: RegistryCall, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw registryCallError(error, call);
  }
}
