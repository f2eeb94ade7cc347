// The architecture rules of ../shared/DESIGN.md §3, checked in the gate (`node scripts/gate.mjs`, step
// "architecture rules"): `pnpm exec depcruise packages --config .dependency-cruiser.cjs --output-type err`.
// Imports are read from the TypeScript sources, type-only imports included; workspace names
// (`@mlops/core`, ...) resolve through tsconfig.json's paths to the packages' sources.
const components = '(feast|mlflow|airflow|metrics)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'components-never-import-each-other',
      comment:
        'A component package (feast, mlflow, airflow, metrics) knows @mlops/core and itself only; what crosses components belongs in @mlops/platform.',
      severity: 'error',
      from: { path: `^packages/${components}/` },
      to: { path: `^packages/${components}/`, pathNot: '^packages/$1/' },
    },
    {
      name: 'core-knows-no-package',
      comment: '@mlops/core is what every package shares: it imports none of them.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: '^packages/(?!core/)[^/]+/' },
    },
    {
      name: 'only-platform-composes',
      comment: 'Only @mlops/platform may import several @mlops packages.',
      severity: 'error',
      from: { path: '^packages/(?!platform/)([^/]+)/' },
      to: { path: '^packages/(?!core/)([^/]+)/', pathNot: '^packages/$1/' },
    },
    {
      name: 'codec-imports-nothing-above-it',
      comment:
        "feast's codec/ (the byte formats) stands on its own: it may import codec/, the generated protobuf code and @mlops/core, nothing else of feast.",
      severity: 'error',
      from: { path: '^packages/feast/src/codec/' },
      to: { path: '^packages/feast/src/', pathNot: '^packages/feast/src/(codec|generated)/' },
    },
    {
      name: 'generated-only-from-its-own-package',
      comment:
        "A package's src/generated/ is read by that package's own modules only (its clients and codecs), never by another package.",
      severity: 'error',
      from: {},
      to: { path: '^packages/([^/]+)/src/generated/' },
      // dependency-cruiser cannot refer to the `to` group from `from`, hence one rule per package below.
    },
    {
      name: 'no-cycles',
      comment:
        'No import cycles, type-only ones included: a cycle makes load order and the public surface fragile.',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
  ].flatMap((rule) =>
    rule.name === 'generated-only-from-its-own-package'
      ? ['core', 'feast', 'mlflow', 'airflow', 'metrics', 'platform'].map((pkg) => ({
          ...rule,
          from: { pathNot: `^packages/${pkg}/src/` },
          to: { path: `^packages/${pkg}/src/generated/` },
        }))
      : [rule],
  ),
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['(^|/)dist/', '(^|/)node_modules/'] },
    includeOnly: { path: ['^packages/[^/]+/src/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
