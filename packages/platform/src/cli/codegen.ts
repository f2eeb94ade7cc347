// `mlops feast codegen`: a TypeScript module generated from a Feast registry, so that feature references are
// checked by the compiler and results are typed by what the registry says each feature holds. What it writes:
// - `features`: every feature reference, by view (`features.driver_hourly_stats.conv_rate`), as literals;
// - `FeatureTypes`: reference → the TypeScript type @mlops/feast decodes that feature's Feast type to (TYPES.md
//   of @mlops/feast: INT64 → bigint, FLOAT → number, UNIX_TIMESTAMP → Date | null, ...);
// - `featureRefs(...)`: a checked `features` list for getOnlineFeatures/getHistoricalFeatures;
// - `featureServices`: each service's references; and
// - a `declare module '@mlops/feast'` augmentation filling in `FeastFeatureTypes` (value types of typed results)
//   and, unless `strict: false`, `FeastCodegenOptions.strictFeatureRefs`, with which a literal reference the
//   registry does not have is a compile error anywhere a `features` list is written.
// The output depends on the registry alone (views sorted by name, features in registry order, no timestamp), so
// `--check` can compare it byte for byte.
import type { FeatureService, FeatureView } from '@mlops/feast';
import { ValueType } from '@mlops/feast/codec';

/** What the generator reads of a registry. */
export interface CodegenRegistry {
  project: string;
  featureViews: readonly FeatureView[];
  featureServices: readonly FeatureService[];
}

export interface CodegenOptions {
  /** Declare `strictFeatureRefs` so unknown literal references fail to compile (default true). */
  strict?: boolean;
  /** The module the augmentation targets (default '@mlops/feast'). */
  moduleName?: string;
  /** The module value types are imported from (default '@mlops/feast/codec'). */
  codecModuleName?: string;
}

const SCALAR: Partial<Record<number, string>> = {
  [ValueType.BYTES]: 'Uint8Array',
  [ValueType.PDF_BYTES]: 'Uint8Array',
  [ValueType.IMAGE_BYTES]: 'Uint8Array',
  [ValueType.STRING]: 'string',
  [ValueType.UUID]: 'string',
  [ValueType.TIME_UUID]: 'string',
  [ValueType.DECIMAL]: 'string',
  [ValueType.INT32]: 'number',
  [ValueType.INT64]: 'bigint',
  [ValueType.DOUBLE]: 'number',
  [ValueType.FLOAT]: 'number',
  [ValueType.BOOL]: 'boolean',
  [ValueType.UNIX_TIMESTAMP]: 'Date',
  [ValueType.NULL]: 'null',
  [ValueType.MAP]: '{ [key: string]: FeastValue }',
  [ValueType.STRUCT]: '{ [key: string]: FeastValue }',
  [ValueType.JSON]: 'JsonValue',
  [ValueType.SCALAR_MAP]: 'Map<MapKeyValue, FeastValue>',
  [ValueType.ZONED_TIMESTAMP]: 'ZonedTimestampValue',
};

/** Collections whose elements are decoded like their scalar: Feast's `*_LIST` and `*_SET` types. */
const ELEMENT: Partial<Record<number, number>> = {
  [ValueType.BYTES_LIST]: ValueType.BYTES,
  [ValueType.BYTES_SET]: ValueType.BYTES,
  [ValueType.STRING_LIST]: ValueType.STRING,
  [ValueType.STRING_SET]: ValueType.STRING,
  [ValueType.INT32_LIST]: ValueType.INT32,
  [ValueType.INT32_SET]: ValueType.INT32,
  [ValueType.INT64_LIST]: ValueType.INT64,
  [ValueType.INT64_SET]: ValueType.INT64,
  [ValueType.DOUBLE_LIST]: ValueType.DOUBLE,
  [ValueType.DOUBLE_SET]: ValueType.DOUBLE,
  [ValueType.FLOAT_LIST]: ValueType.FLOAT,
  [ValueType.FLOAT_SET]: ValueType.FLOAT,
  [ValueType.BOOL_LIST]: ValueType.BOOL,
  [ValueType.BOOL_SET]: ValueType.BOOL,
  [ValueType.UNIX_TIMESTAMP_LIST]: ValueType.UNIX_TIMESTAMP,
  [ValueType.UNIX_TIMESTAMP_SET]: ValueType.UNIX_TIMESTAMP,
  [ValueType.MAP_LIST]: ValueType.MAP,
  [ValueType.STRUCT_LIST]: ValueType.STRUCT,
  [ValueType.JSON_LIST]: ValueType.JSON,
  [ValueType.UUID_LIST]: ValueType.UUID,
  [ValueType.UUID_SET]: ValueType.UUID,
  [ValueType.TIME_UUID_LIST]: ValueType.TIME_UUID,
  [ValueType.TIME_UUID_SET]: ValueType.TIME_UUID,
  [ValueType.DECIMAL_LIST]: ValueType.DECIMAL,
  [ValueType.DECIMAL_SET]: ValueType.DECIMAL,
};

/**
 * The TypeScript type a value of Feast type `valueType` is read as (@mlops/feast's TYPES.md), without the `null`
 * every feature may be. Timestamps inside collections may be null (Feast's NaT); VALUE_LIST/VALUE_SET and
 * UNKNOWN are FeastValue.
 */
export function tsTypeOf(valueType: number): string {
  const scalar = SCALAR[valueType];
  if (scalar) return scalar;
  const element = ELEMENT[valueType];
  if (element !== undefined) {
    const inner = SCALAR[element] ?? 'FeastValue';
    return element === ValueType.UNIX_TIMESTAMP
      ? 'Array<Date | null>'
      : inner.includes(' ')
        ? `Array<${inner}>`
        : `${inner}[]`;
  }
  if (valueType === ValueType.VALUE_LIST || valueType === ValueType.VALUE_SET) return 'FeastValue[]';
  return 'FeastValue';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));
const doc = (text: string) => text.replaceAll('*/', '*\\/').replaceAll('\n', ' ').trim();
const byName = <T extends { name: string }>(items: readonly T[]) =>
  [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** The generated module's text for `registry`. */
export function generateFeastTypes(registry: CodegenRegistry, options: CodegenOptions = {}): string {
  const moduleName = options.moduleName ?? '@mlops/feast';
  const codecModule = options.codecModuleName ?? '@mlops/feast/codec';
  const views = byName(registry.featureViews);
  const lines: string[] = [
    `// Generated by \`mlops feast codegen\` from the Feast registry of project ${registry.project}. Do not edit:`,
    '// run it again after `feast apply` (`mlops feast codegen --check` fails when this file is stale), and keep',
    '// it out of formatters (--check compares it byte for byte).',
    `import type { FeastValue, JsonValue, MapKeyValue, ZonedTimestampValue } from '${codecModule}';`,
    '',
    `/** The Feast project this was generated from. */`,
    `export const project = ${JSON.stringify(registry.project)};`,
    '',
    '/** Every feature reference of the registry, by feature view: `features.driver_hourly_stats.conv_rate`. */',
    'export const features = {',
  ];
  for (const view of views) {
    lines.push(
      `  /** ${doc(`${view.kind} ${view.name}${view.description ? `: ${view.description}` : ''}`)} */`,
    );
    lines.push(`  ${key(view.name)}: {`);
    for (const f of view.features) {
      lines.push(`    /** ${f.valueTypeName}${f.description ? `: ${doc(f.description)}` : ''} */`);
      lines.push(`    ${key(f.name)}: ${JSON.stringify(`${view.name}:${f.name}`)},`);
    }
    lines.push('  },');
  }
  lines.push('} as const;', '');
  lines.push(
    '/** Each feature reference → the type @mlops/feast reads its values as (null aside). */',
    'export interface FeatureTypes {',
  );
  for (const view of views) {
    for (const f of view.features) {
      lines.push(`  /** ${f.valueTypeName} */`);
      lines.push(`  ${JSON.stringify(`${view.name}:${f.name}`)}: ${tsTypeOf(f.valueType)};`);
    }
  }
  lines.push('}', '');
  lines.push(
    '/** A feature reference the registry has. */',
    'export type FeatureRef = keyof FeatureTypes;',
    '/** A feature view of the registry. */',
    'export type FeatureViewName = keyof typeof features;',
    '',
    '/**',
    ' * A `features` list checked against the registry (a typo is a compile error), typed as the literals given, so',
    " * results are named and typed by it: `getOnlineFeatures({ features: featureRefs('v:a', 'v:b'), ... })`.",
    ' */',
    'export function featureRefs<const R extends readonly FeatureRef[]>(...refs: R): R {',
    '  return refs;',
    '}',
    '',
    "/** Each feature service's feature references (as `view:feature` of the views it projects). */",
    'export const featureServices = {',
  );
  for (const service of byName(registry.featureServices)) {
    const refs = service.projections.flatMap((p) => p.features.map((f) => `${p.featureViewName}:${f.name}`));
    lines.push(`  ${key(service.name)}: [${refs.map((r) => JSON.stringify(r)).join(', ')}],`);
  }
  lines.push(
    '} as const;',
    '/** A feature service of the registry. */',
    'export type FeatureServiceName = keyof typeof featureServices;',
    '',
    `declare module '${moduleName}' {`,
    '  interface FeastFeatureTypes extends FeatureTypes {}',
  );
  if (options.strict ?? true) {
    lines.push('  interface FeastCodegenOptions {', '    strictFeatureRefs: true;', '  }');
  }
  lines.push('}', '');
  return lines.join('\n');
}
