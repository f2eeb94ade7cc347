import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@mlops/core';

/**
 * The local platform's script (`platform/bin/platform` of an @mlops clone): MLOPS_PLATFORM_DIR when set,
 * else the first `platform/bin/platform` found from `cwd` upwards.
 */
export function findPlatformScript(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MLOPS_PLATFORM_DIR;
  if (fromEnv) {
    const script = join(resolve(cwd, fromEnv), 'bin', 'platform');
    if (existsSync(script)) return script;
    throw new ConfigError(`MLOPS_PLATFORM_DIR=${fromEnv} has no bin/platform`, {
      option: 'platformDir',
      envVars: ['MLOPS_PLATFORM_DIR'],
    });
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const script = join(dir, 'platform', 'bin', 'platform');
    if (existsSync(script)) return script;
    if (dirname(dir) === dir) break;
  }
  throw new ConfigError(
    'no local platform here: run `mlops platform` inside a clone of the @mlops repository, or set MLOPS_PLATFORM_DIR to its platform/ folder',
    { option: 'platformDir', envVars: ['MLOPS_PLATFORM_DIR'] },
  );
}

/**
 * Runs the platform script with `args`, its output on ours (its stdout on our stderr with `stdoutToStderr`, so
 * `--json` keeps stdout for the JSON); resolves to its exit code.
 */
export function runPlatformScript(
  script: string,
  args: readonly string[],
  options: { stdoutToStderr?: boolean | undefined } = {},
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [script, ...args], {
      stdio: ['inherit', options.stdoutToStderr ? process.stderr : 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}
