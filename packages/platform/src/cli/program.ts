import { ConfigError, MlopsError } from '@mlops/core';
import { Command, CommanderError } from 'commander';
import { DOCTOR_COMPONENTS, type DoctorComponent } from '../doctor';
import { createPlatform, type PlatformOptions } from '../platform';
import { PACKAGE_VERSION } from '../version';
import { addAirflowCommands } from './airflow-commands';
import type { CliContext } from './context';
import { addDemoCommand } from './demo-command';
import { EXIT } from './exit-codes';
import { addFeastCommands } from './feast-commands';
import { toJson } from './json';
import { findPlatformScript, runPlatformScript } from './platform-scripts';
import { table } from './table';
import { registerWorkflowCommands } from './workflow-commands';

export { EXIT };

/** Where the CLI reads and writes; tests give their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrStream?: NodeJS.WritableStream;
  isTTY?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Options for the platform the commands use (tests point it elsewhere). */
  platformOptions?: PlatformOptions;
}

export function createProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const ctx: CliContext = {
    out: (text) => io.stdout(`${text}\n`),
    err: (text) => io.stderr(`${text}\n`),
    isTTY: io.isTTY ?? false,
    stderrStream: io.stderrStream ?? process.stderr,
    async withPlatform(fn) {
      const platform = createPlatform(io.platformOptions);
      try {
        return await fn(platform);
      } finally {
        await platform.close();
      }
    },
    setExitCode,
  };
  const program = new Command('mlops')
    .description('The @mlops platform from the command line: Feast, MLflow, Airflow, Prometheus')
    .version(PACKAGE_VERSION)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the command failed (a component unreachable, an API error), 2 bad usage or configuration.\n\nExamples:\n  mlops doctor\n  mlops platform up\n  mlops feast get -f driver_hourly_stats:conv_rate -e driver_id=1001\n  mlops dags trigger feature_pipeline --wait',
    );

  program
    .command('doctor')
    .description('Reach every component; report versions, auth and latency, and what to fix')
    .option('-c, --component <names...>', `only these (${DOCTOR_COMPONENTS.join(', ')})`)
    .option('--timeout <ms>', 'deadline of each check', '5000')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { component?: string[]; timeout: string; json?: boolean }) => {
      const unknown = opts.component?.filter((c) => !(DOCTOR_COMPONENTS as readonly string[]).includes(c));
      if (unknown?.length) {
        throw new ConfigError(
          `unknown component ${unknown.join(', ')}: use ${DOCTOR_COMPONENTS.join(', ')}`,
          {
            option: 'component',
          },
        );
      }
      const report = await ctx.withPlatform((platform) =>
        platform.doctor({
          ...(opts.component ? { components: opts.component as DoctorComponent[] } : {}),
          timeoutMs: Number(opts.timeout),
        }),
      );
      if (opts.json) ctx.out(toJson(report));
      else {
        ctx.out(
          table(
            report.checks.map((c) => ({
              component: c.component,
              ok: c.ok ? 'ok' : 'FAIL',
              version: c.version ?? '',
              auth: c.auth,
              ms: c.latencyMs,
              url: c.url,
              detail: c.detail,
            })),
          ),
        );
        for (const c of report.checks.filter((check) => !check.ok)) ctx.err(`${c.component}: ${c.fix}`);
      }
      if (!report.ok) ctx.setExitCode(EXIT.failed);
    });

  program
    .command('platform')
    .description('The local platform of an @mlops clone (real components on loopback)')
    .argument('<action>', 'up | down | status | logs | smoke | reset | env')
    .argument('[components...]', 'components (default: all)')
    .addHelpText(
      'after',
      '\nExamples:\n  mlops platform up\n  mlops platform up mlflow\n  mlops platform status',
    )
    .action(async (action: string, components: string[]) => {
      const actions = ['up', 'down', 'status', 'logs', 'smoke', 'reset', 'env'];
      if (!actions.includes(action)) {
        throw new ConfigError(`unknown platform action '${action}': use ${actions.join(', ')}`, {
          option: 'action',
        });
      }
      const script = findPlatformScript(io.cwd ?? process.cwd(), io.env ?? process.env);
      const code = await runPlatformScript(script, [action, ...components]);
      if (code !== 0) ctx.setExitCode(EXIT.failed);
    });

  addFeastCommands(program, ctx);
  addAirflowCommands(program, ctx);
  registerWorkflowCommands(program, ctx);
  addDemoCommand(program, ctx, io);
  return program;
}

/** Runs `mlops` with `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; a usage error with commander's 1, which is our 2.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr(`mlops: ${error instanceof Error ? error.message : String(error)}\n`);
    return ConfigError.isInstance(error)
      ? EXIT.usage
      : MlopsError.isInstance(error)
        ? EXIT.failed
        : EXIT.failed;
  }
  return exitCode;
}
