// `source scripts/bootstrap.sh` (the README's first step) sets PATH up and leaves the caller's shell options as
// they were: it runs with `set -euo pipefail` inside, which used to stay on in the user's shell (the next
// failing command closed the terminal).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function optionsAfterSourcing(setup: string): string {
  const script = `${setup}; source scripts/bootstrap.sh 2>/dev/null; echo "flags=\${-//[^eu]/} pipefail=$([[ -o pipefail ]] && echo on || echo off) node=$(command -v node)"; false; echo "alive after a failing command"`;
  const result = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return result.stdout;
}

describe('source scripts/bootstrap.sh', { timeout: 240_000 }, () => {
  it.each([
    ['set +euo pipefail', 'flags= pipefail=off'],
    ['set -e', 'flags=e pipefail=off'],
    ['set -u -o pipefail', 'flags=u pipefail=on'],
  ])('after `%s`, the options are as they were', (setup, expected) => {
    const out = optionsAfterSourcing(setup);
    expect(out).toContain(expected);
    expect(out).toMatch(/node=\S*\.toolchain\/node24\/|node=\/usr\//);
    // With -e left off, a failing command does not end the shell.
    if (!setup.includes('-e')) expect(out).toContain('alive after a failing command');
    else expect(out).not.toContain('alive after a failing command');
  });
});
