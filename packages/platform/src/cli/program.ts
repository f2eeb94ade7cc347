import { ConfigError } from '@mlops/core';
import { PrometheusArgumentError } from '@mlops/metrics';
import { ModelUriError } from '@mlops/mlflow';
import { Command, CommanderError } from 'commander';
import { DOCTOR_COMPONENTS, type DoctorComponent } from '../doctor';
import { createPlatform, type PlatformOptions } from '../platform';
import { PACKAGE_VERSION } from '../version';
import { addAirflowCommands } from './airflow-commands';
import { addCodegenCommand } from './codegen-command';
import type { CliContext } from './context';
import { addDemoCommand } from './demo-command';
import { EXIT, EXIT_CODES_HELP, examples } from './exit-codes';
import { addFeastCommands } from './feast-commands';
import { toJson } from './json';
import { addMetricsCommands } from './metrics-commands';
import { addModelsCommands } from './models-commands';
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
  /** Columns `--help` wraps at (default: the terminal's width, 80 when not a terminal). */
  helpWidth?: number;
}

export function createProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const ctx: CliContext = {
    out: (text) => io.stdout(`${text}\n`),
    err: (text) => io.stderr(`${text}\n`),
    isTTY: io.isTTY ?? false,
    cwd: io.cwd ?? process.cwd(),
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
  const helpWidth = io.helpWidth;
  const program = new Command('mlops')
    .description('The @mlops platform from the command line: Feast, MLflow, Airflow, Prometheus')
    .version(PACKAGE_VERSION)
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      ...(helpWidth ? { getOutHelpWidth: () => helpWidth, getErrHelpWidth: () => helpWidth } : {}),
    })
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `${examples(
        'mlops doctor',
        'mlops platform up',
        'mlops feast get -f driver_hourly_stats:conv_rate -e driver_id=1001',
        'mlops feast codegen -o src/feast-registry.ts',
        'mlops models resolve models:/churn@champion',
        "mlops metrics query 'up' --json",
        'mlops dags trigger feature_pipeline --wait',
      )}\n\nEvery command takes --help (with examples) and --json (JSON on stdout that loses nothing:\nint64 as exact integers, bytes as base64, times in ISO 8601; with --json an error is\n{"error": {...}} on stdout too).\n\n${EXIT_CODES_HELP}`,
    );

  program
    .command('doctor')
    .description('Reach every component; report versions, auth and latency, and what to fix')
    .option('-c, --component <names...>', `only these (${DOCTOR_COMPONENTS.join(', ')})`)
    .option('--timeout <ms>', 'deadline of each check', '5000')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      examples('mlops doctor', 'mlops doctor -c mlflow feast --json', 'mlops doctor --timeout 2000'),
    )
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
    .option('--json', "print {action, components, exitCode} as JSON (the script's own output goes to stderr)")
    .addHelpText(
      'after',
      examples('mlops platform up', 'mlops platform up mlflow', 'mlops platform status --json'),
    )
    .action(async (action: string, components: string[], opts: { json?: boolean }) => {
      const actions = ['up', 'down', 'status', 'logs', 'smoke', 'reset', 'env'];
      if (!actions.includes(action)) {
        throw new ConfigError(`unknown platform action '${action}': use ${actions.join(', ')}`, {
          option: 'action',
        });
      }
      const script = findPlatformScript(io.cwd ?? process.cwd(), io.env ?? process.env);
      const code = await runPlatformScript(script, [action, ...components], { stdoutToStderr: opts.json });
      if (opts.json) ctx.out(toJson({ action, components, exitCode: code }));
      if (code !== 0) ctx.setExitCode(EXIT.failed);
    });

  addFeastCommands(program, ctx);
  addCodegenCommand(program, ctx);
  addModelsCommands(program, ctx);
  addMetricsCommands(program, ctx);
  addAirflowCommands(program, ctx);
  // Command groups of other files: one line each, below.
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
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`mlops: ${message}\n`);
    if (argv.includes('--json')) {
      const name = error instanceof Error ? error.name : 'Error';
      io.stdout(`${toJson({ error: { name, message, exitCode: code } })}\n`);
    }
    return code;
  }
  return exitCode;
}

/** Usage (2) for what the caller got wrong before anything ran; failed (1) for the rest. */
function exitCodeOf(error: unknown): number {
  return ConfigError.isInstance(error) ||
    PrometheusArgumentError.isInstance(error) ||
    ModelUriError.isInstance(error)
    ? EXIT.usage
    : EXIT.failed;
}
