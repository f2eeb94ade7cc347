// The public API report: for every package and every entry point of its package.json `exports`, the names
// it exports and what each is (class, function, const, type, interface, enum, ...), written to
// api/<package>[.<subpath>].api.txt, sorted, one line a name. Committed, so that any change to a public
// surface shows up in review as a change to these files.
//
// Usage: node scripts/api-report.mjs            writes the reports
//        node scripts/api-report.mjs --check    fails, naming each added/removed/changed line, when a
//                                               committed report differs from the sources (in the gate)
//
// Entry points are read from the TypeScript sources, found through tsconfig.json's `paths` (one per
// `exports` subpath: `@mlops/feast/codec` → packages/feast/src/codec/index.ts), with the TypeScript
// compiler API of the `typescript` package (5.9: TypeScript 7 has no JS API).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiDir = join(root, 'api');
const check = process.argv.includes('--check');

/** Every entry point of every package: its specifier, report file and source file. */
function entryPoints(paths) {
  const entries = [];
  const problems = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const manifestPath = join(root, 'packages', dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const exportsField = manifest.exports ?? {};
    const subpaths =
      typeof exportsField === 'string' || !Object.keys(exportsField).some((key) => key.startsWith('.'))
        ? ['.']
        : Object.keys(exportsField).filter((key) => key !== './package.json');
    const shortName = manifest.name.replace(/^@[^/]+\//, '');
    for (const subpath of subpaths) {
      const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      const target = paths[specifier]?.[0];
      if (!target) {
        problems.push(
          `${specifier} (packages/${dir}/package.json exports "${subpath}") has no entry in tsconfig.json's paths: ` +
            'add one naming its source file.',
        );
        continue;
      }
      const file = subpath === '.' ? shortName : `${shortName}.${subpath.slice(2).replaceAll('/', '.')}`;
      entries.push({ specifier, report: `${file}.api.txt`, source: join(root, target) });
    }
  }
  return { entries, problems };
}

/** The kinds of an exported symbol, after following re-exports: `class`, `type`, `const`, ... */
function kindsOf(checker, exported) {
  let symbol = exported;
  let typeOnly = false;
  const seen = new Set();
  while (symbol.flags & ts.SymbolFlags.Alias && !seen.has(symbol)) {
    seen.add(symbol);
    for (const declaration of symbol.declarations ?? []) {
      if (
        (ts.isExportSpecifier(declaration) || ts.isImportSpecifier(declaration)) &&
        (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly)
      ) {
        typeOnly = true;
      }
    }
    symbol = checker.getImmediateAliasedSymbol(symbol) ?? checker.getAliasedSymbol(symbol);
  }
  const flags = symbol.flags;
  const kinds = [];
  if (flags & ts.SymbolFlags.Class) kinds.push('class');
  if (flags & ts.SymbolFlags.Enum) kinds.push('enum');
  if (flags & ts.SymbolFlags.Function) kinds.push('function');
  if (flags & ts.SymbolFlags.Variable) {
    const declaration = symbol.valueDeclaration;
    const list = declaration && ts.isVariableDeclaration(declaration) ? declaration.parent : undefined;
    const nodeFlags = list ? ts.getCombinedNodeFlags(list) : 0;
    kinds.push(nodeFlags & ts.NodeFlags.Const ? 'const' : nodeFlags & ts.NodeFlags.Let ? 'let' : 'var');
  }
  if (flags & ts.SymbolFlags.Interface && !(flags & ts.SymbolFlags.Class)) kinds.push('interface');
  if (flags & ts.SymbolFlags.TypeAlias) kinds.push('type');
  if (flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) kinds.push('namespace');
  if (kinds.length === 0) kinds.push('unknown');
  const kind = kinds.join(' & ');
  const isValue = kinds.some((k) => !['interface', 'type'].includes(k));
  return typeOnly && isValue ? `type-only ${kind}` : kind;
}

/** The report of each entry point: file name → text. */
function reports() {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  const { entries, problems } = entryPoints(parsed.options.paths ?? {});
  const missing = entries.filter((entry) => !existsSync(entry.source));
  for (const entry of missing) {
    problems.push(
      `${entry.specifier}: its source ${relative(root, entry.source)} (tsconfig.json paths) does not exist`,
    );
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const program = ts.createProgram(
    entries.map((entry) => entry.source),
    { ...parsed.options, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const out = new Map();
  for (const entry of entries) {
    const sourceFile = program.getSourceFile(entry.source);
    const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) throw new Error(`${entry.specifier}: ${relative(root, entry.source)} is not a module`);
    const lines = checker
      .getExportsOfModule(moduleSymbol)
      .map((symbol) => ({ name: symbol.getName(), line: `${kindsOf(checker, symbol)} ${symbol.getName()}` }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((item) => item.line);
    const header = `# ${entry.specifier} (${relative(root, entry.source).replaceAll('\\', '/')}): ${lines.length} names. Written by \`pnpm api-report\`; do not edit.`;
    out.set(entry.report, `${header}\n${lines.join('\n')}\n`);
  }
  return out;
}

/** What differs between a committed report and a fresh one, one line each: + added, - removed, ~ changed. */
function differences(committed, fresh) {
  const byName = (text) =>
    new Map(
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(line.lastIndexOf(' ') + 1), line]),
    );
  const before = byName(committed);
  const after = byName(fresh);
  const lines = [];
  for (const [name, line] of after) {
    if (!before.has(name)) lines.push(`+ ${line}`);
    else if (before.get(name) !== line) lines.push(`~ ${before.get(name)}  →  ${line}`);
  }
  for (const [name, line] of before) if (!after.has(name)) lines.push(`- ${line}`);
  if (lines.length === 0 && committed !== fresh) lines.push('(the header or the order of lines differs)');
  return lines;
}

const fresh = reports();
const existing = existsSync(apiDir) ? readdirSync(apiDir).filter((file) => file.endsWith('.api.txt')) : [];

if (!check) {
  mkdirSync(apiDir, { recursive: true });
  for (const file of existing) if (!fresh.has(file)) rmSync(join(apiDir, file));
  for (const [file, text] of fresh) writeFileSync(join(apiDir, file), text);
  console.log(`api-report: wrote ${fresh.size} reports to api/`);
} else {
  const failures = [];
  for (const [file, text] of fresh) {
    const path = join(apiDir, file);
    if (!existsSync(path)) {
      failures.push(
        `api/${file} is missing (a new entry point):`,
        ...differences('', text).map((l) => `  ${l}`),
      );
      continue;
    }
    const committed = readFileSync(path, 'utf8');
    if (committed !== text) {
      failures.push(
        `api/${file} differs from the sources:`,
        ...differences(committed, text).map((l) => `  ${l}`),
      );
    }
  }
  for (const file of existing) {
    if (!fresh.has(file))
      failures.push(`api/${file} names an entry point that no package.json exports any more`);
  }
  if (failures.length > 0) {
    console.error(failures.join('\n'));
    console.error(
      '\nA public surface changed. If that is intended, run `pnpm api-report` and commit api/ with the change.',
    );
    process.exit(1);
  }
  console.log(`api-report: ${fresh.size} reports match the sources`);
}
