import { hasErrorMarker } from '@mlops/core/sdk';
import { OfflineStoreError } from '../../errors';

const TRINO_QUERY_MARKER = Symbol.for('@mlops/feast.TrinoQueryError');

/** Trino's own description of a failed query (the `error` object of its REST protocol). */
export interface TrinoFailure {
  message: string;
  /** 'TABLE_NOT_FOUND', 'EXCEEDED_TIME_LIMIT', 'USER_CANCELED', ... */
  errorName: string;
  /** 'USER_ERROR', 'INTERNAL_ERROR', 'INSUFFICIENT_RESOURCES', 'EXTERNAL'. */
  errorType: string;
  errorCode: number;
}

/**
 * Trino refused or killed a query: `errorName` is Trino's (TABLE_NOT_FOUND, COLUMN_NOT_FOUND,
 * EXCEEDED_TIME_LIMIT, EXCEEDED_GLOBAL_MEMORY_LIMIT, ...), `queryId` finds it in Trino's UI and logs.
 * Nothing of a failed query is ever returned as a result, and the entity rows uploaded for it are dropped.
 */
export class TrinoQueryError extends OfflineStoreError {
  static override readonly marker: symbol = TRINO_QUERY_MARKER;
  static override isInstance(value: unknown): value is TrinoQueryError {
    return hasErrorMarker(value, TRINO_QUERY_MARKER);
  }

  readonly errorName: string;
  readonly errorType: string;
  readonly errorCode: number;
  /** Trino's id of the query, e.g. 20261207_101500_00012_abcde. */
  readonly queryId: string | undefined;

  constructor(
    init: TrinoFailure & { step: string; queryId: string | undefined; cause?: unknown },
    message: string,
  ) {
    super({ step: init.step, cause: init.cause }, message);
    this.errorName = init.errorName;
    this.errorType = init.errorType;
    this.errorCode = init.errorCode;
    this.queryId = init.queryId;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      errorName: this.errorName,
      errorType: this.errorType,
      errorCode: this.errorCode,
      queryId: this.queryId,
    };
  }
}

/** What to do about the errors a user can fix, by Trino's error name. */
const ADVICE: Readonly<Record<string, string>> = {
  CATALOG_NOT_FOUND:
    "Check offline_store.catalog and the catalog part of each TrinoSource's table (SHOW CATALOGS lists them)",
  SCHEMA_NOT_FOUND:
    'Check offline_store.dataset (the schema entity rows are uploaded to) and the schema part of each TrinoSource table',
  TABLE_NOT_FOUND: "Check the feature view's TrinoSource table or query, and the catalog and schema it names",
  COLUMN_NOT_FOUND:
    'A column named by the feature view (a feature, join key, timestamp_field or created_timestamp_column, after field_mapping) is missing from its source; run `feast apply` after changing the source, or fix field_mapping',
  TYPE_MISMATCH:
    'A join key of the entity rows has another type than the source column it is compared with; give entity values of the join key type',
  SYNTAX_ERROR: 'A TrinoSource query or the entity SQL is not valid Trino SQL; check it',
  EXCEEDED_TIME_LIMIT:
    'Raise query_max_execution_time (a session property) or the server limit, or ask for less',
  EXCEEDED_GLOBAL_MEMORY_LIMIT:
    'The join needs more memory than query.max-memory allows: raise it, add workers, or split the entity rows',
  EXCEEDED_LOCAL_MEMORY_LIMIT:
    'One node ran out of query memory (query.max-memory-per-node): raise it, add workers, or split the entity rows',
  USER_CANCELED: 'The query was cancelled (by the caller or an administrator)',
  ADMINISTRATIVELY_KILLED: 'An administrator or a resource group killed the query',
};

export function trinoFailureMessage(
  failure: TrinoFailure,
  step: string,
  queryId: string | undefined,
): string {
  const advice = ADVICE[failure.errorName];
  return `Trino refused ${step}: ${failure.message} (${failure.errorName}${queryId ? `, query ${queryId}` : ''}).${advice ? ` ${advice}.` : ''}`;
}
