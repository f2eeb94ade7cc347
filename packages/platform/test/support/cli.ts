import { runCli } from '../../src/cli/program';
import { feastRepo, root } from './platform';

/** Runs `mlops args` in-process against the local platform; resolves to its exit code and what it printed. */
export async function mlops(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; mlflowUrl?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd: options.cwd ?? root,
    env: options.env ?? {},
    platformOptions: {
      feast: { repoPath: feastRepo },
      ...(options.mlflowUrl ? { mlflow: { trackingUri: options.mlflowUrl, maxRetries: 0 } } : {}),
    },
  });
  return { code, stdout, stderr };
}
