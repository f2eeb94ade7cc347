#!/usr/bin/env node
// Specs and generated types, from the pinned components.
//   node scripts/codegen.mjs            capture every spec from the running platform, then generate
//   node scripts/codegen.mjs --only airflow   capture one component's specs, then generate
//                                       (mlflow's spec is derived by scripts/mlflow_openapi.py from the wheel's protos)
//                                       (prometheus's spec is written by us: scripts/prometheus_openapi.mjs prints it)
//   node scripts/codegen.mjs --generate generate from the committed specs only
//   node scripts/codegen.mjs --check    generate in memory and fail on any drift, or on a spec whose
//                                       sha256 is not the one in openapi/specs.lock.json (the gate runs this)
// What is captured and generated is listed in openapi/codegen.json. Not every target is SDK code:
// openapi/feast-registry-server.json is captured for tests/integration (ajv validates the registry server's
// answers against it) and generated into packages/feast/test/generated/ to type that test's client; no SDK
// code calls the registry REST server, so nothing of it is generated into packages/feast/src.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { parse as parseYaml } from 'yaml';
import { readPins } from './pins.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.argv.includes('--check')
  ? 'check'
  : process.argv.includes('--generate')
    ? 'generate'
    : 'capture';
const config = JSON.parse(readFileSync(join(root, 'openapi/codegen.json'), 'utf8'));
const lockPath = join(root, 'openapi/specs.lock.json');

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const rel = (path) => path.replace(root, '');

function httpGet(url) {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: 30_000 }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode === 200) resolve(body);
        else reject(new Error(`answered ${response.statusCode}`));
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

function venvPython(entry) {
  const python = join(root, 'platform/.state/venvs', entry.venv, 'bin/python');
  if (!existsSync(python))
    throw new Error(
      `${entry.spec}: the ${entry.venv} venv is missing. Install the platform first: pnpm platform up`,
    );
  return python;
}

/** The version actually installed, which must be the pinned one. */
function installedVersion(entry, pinned) {
  // A spec written by us (a node script) is for the pinned version; its contract test checks it against the server.
  if (entry.from.node) return pinned;
  const version = execFileSync(
    venvPython(entry),
    ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(entry.package)}))`],
    {
      encoding: 'utf8',
    },
  ).trim();
  if (version !== pinned) {
    throw new Error(
      `${entry.spec}: the ${entry.venv} venv has ${entry.package} ${version}, but platform/versions.env pins ${pinned}. Run pnpm platform up to reinstall.`,
    );
  }
  return version;
}

async function capture(entry) {
  const from = entry.from;
  if (from.http) {
    // node:http, not fetch: the fetch standard blocks port 6566 (Feast's default) as a "bad port".
    try {
      return JSON.parse(await httpGet(from.http));
    } catch (error) {
      throw new Error(
        `${entry.spec}: cannot read ${from.http} (${error.code ?? error.message}). Start the platform first: pnpm platform up`,
      );
    }
  }
  if (from.module) {
    const python = venvPython(entry);
    const moduleDir = execFileSync(
      python,
      ['-c', `import os, ${from.module} as m; print(os.path.dirname(m.__file__))`],
      {
        encoding: 'utf8',
      },
    ).trim();
    return parseYaml(readFileSync(join(moduleDir, from.file), 'utf8'));
  }
  if (from.node) return runNodeScript(entry);
  if (from.script) {
    // A script of ours that derives the spec from the installed package and prints it as JSON.
    const output = execFileSync(venvPython(entry), [join(root, from.script)], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    return JSON.parse(output);
  }
  throw new Error(`${entry.spec}: unknown capture source ${JSON.stringify(from)}`);
}

// defaultNonNullable: false keeps a field the server fills in by default optional in request bodies, as
// the server takes it; with openapi-typescript's default (true) every defaulted field is required, and
// callers cast the bodies they build to get past it.
const generatorOptions = { alphabetize: true, defaultNonNullable: false };

async function generate(spec) {
  const text = readFileSync(join(root, spec), 'utf8');
  const ast = await openapiTS(JSON.parse(text), generatorOptions);
  return [
    '// Generated by scripts/codegen.mjs with openapi-typescript. Do not edit: run `pnpm codegen`.',
    `// Source: ${spec} (sha256 ${sha256(text)})`,
    '',
    astToString(ast),
  ].join('\n');
}

/** A spec written by us: a node script of this repo prints it as JSON. */
function runNodeScript(entry) {
  const output = execFileSync(process.execPath, [join(root, entry.from.node)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output);
}

const problems = [];

if (mode === 'capture') {
  const versions = readPins();
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const previous = existsSync(lockPath) ? JSON.parse(readFileSync(lockPath, 'utf8')).specs : [];
  const lock = {
    $comment:
      'Written by scripts/codegen.mjs: every captured spec, from which pinned component, how, and its sha256.',
    specs: previous.filter((s) =>
      config.captures.some((c) => c.spec === s.spec && only && c.component !== only),
    ),
  };
  for (const entry of config.captures ?? []) {
    if (only && entry.component !== only) continue;
    const spec = await capture(entry);
    const text = `${JSON.stringify(spec, null, 2)}\n`;
    writeFileSync(join(root, entry.spec), text);
    lock.specs.push({
      component: entry.component,
      version: installedVersion(entry, versions[entry.versionVar]),
      spec: entry.spec,
      obtained: entry.how,
      sha256: sha256(text),
    });
    process.stdout.write(`captured ${entry.spec}\n`);
  }
  lock.specs.sort((a, b) => a.spec.localeCompare(b.spec));
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
} else if ((config.captures ?? []).length > 0) {
  // The committed specs must be the captured ones: a hand edit shows as a sha256 mismatch.
  const lock = existsSync(lockPath) ? JSON.parse(readFileSync(lockPath, 'utf8')) : { specs: [] };
  for (const entry of config.captures ?? []) {
    const locked = lock.specs.find((s) => s.spec === entry.spec);
    if (!locked) {
      problems.push(
        `${entry.spec} is not in openapi/specs.lock.json; run \`pnpm codegen\` with the platform up.`,
      );
    } else if (
      !existsSync(join(root, entry.spec)) ||
      sha256(readFileSync(join(root, entry.spec), 'utf8')) !== locked.sha256
    ) {
      problems.push(
        `${entry.spec} does not match its sha256 in openapi/specs.lock.json: specs are captured, never edited.`,
      );
    } else if (
      entry.from.node &&
      `${JSON.stringify(runNodeScript(entry), null, 2)}\n` !== readFileSync(join(root, entry.spec), 'utf8')
    ) {
      // Written by us: the script needs no platform, so its output must be the committed spec.
      problems.push(
        `${entry.spec} is not what ${entry.from.node} prints; run \`pnpm codegen --only ${entry.component}\`.`,
      );
    }
  }
}

for (const { spec, output } of config.targets) {
  const generated = await generate(spec);
  const target = join(root, output);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
  if (current === generated) continue;
  if (mode === 'check') {
    problems.push(`${output} does not match what ${spec} generates; run \`pnpm codegen --generate\`.`);
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, generated);
    process.stdout.write(`wrote ${rel(target)}\n`);
  }
}

if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`drift: ${problem}\n`);
  process.exit(1);
}
process.stdout.write(
  `${config.targets.length} generated file(s) ${mode === 'check' ? 'up to date' : 'written or unchanged'}\n`,
);
