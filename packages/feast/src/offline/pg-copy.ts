/**
 * PostgreSQL COPY BINARY ⇄ Apache Arrow: the transfer format of the PostgreSQL offline store. Results come out
 * of `COPY (query) TO STDOUT (FORMAT binary)` as record batches (CopyBinaryDecoder); entity rows go in through
 * `COPY table FROM STDIN (FORMAT binary)` (encodeCopyBinary).
 */
import type { Table } from 'apache-arrow';
import { Table as ArrowTable, type RecordBatch } from 'apache-arrow';
import { CopyBinaryDecoder } from './pg-copy-decode';
import type { PgColumn } from './pg-copy-types';

export { CopyBinaryDecoder, type CopyBinaryDecoderOptions } from './pg-copy-decode';
export { type CopyInColumn, type EncodeCopyBinaryOptions, encodeCopyBinary } from './pg-copy-encode';
export { arrowSchemaForPg, arrowTypeForPg, PG_OID, type PgColumn, pgTypeName } from './pg-copy-types';

/** Decodes a whole COPY BINARY stream held in memory (one batch per 65536 rows). */
export function decodeCopyBinary(columns: readonly PgColumn[], bytes: Uint8Array): Table {
  const decoder = new CopyBinaryDecoder(columns);
  const batches: RecordBatch[] = decoder.push(bytes);
  batches.push(...decoder.end());
  return new ArrowTable(decoder.schema, batches);
}
