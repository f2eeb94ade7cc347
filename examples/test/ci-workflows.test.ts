// The example GitHub workflows (examples/ci/, checked by actionlint in the gate: scripts/actionlint.sh) call the
// real CLI: every `npx mlops …` they run is a command of ours, with options it has, so a renamed command or flag
// breaks this test instead of a platform team's pipeline.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../packages/platform/src/cli/program';

const dir = fileURLToPath(new URL('../ci', import.meta.url));

interface Workflow {
  jobs: Record<string, { steps?: Array<{ run?: string }> }>;
}

/** Each `npx mlops <command…> [args] [--options]` of a workflow's run steps: the command path and its options. */
function mlopsCalls(file: string): Array<{ command: string[]; options: string[] }> {
  const workflow = parse(readFileSync(join(dir, file), 'utf8')) as Workflow;
  const calls: Array<{ command: string[]; options: string[] }> = [];
  for (const job of Object.values(workflow.jobs)) {
    for (const step of job.steps ?? []) {
      for (const match of (step.run ?? '').matchAll(/npx mlops ([^|\n]*)/g)) {
        const words = match[1]!.trim().split(/\s+/);
        const command: string[] = [];
        for (const w of words) {
          if (!/^[a-z][a-z-]*$/.test(w)) break;
          command.push(w);
        }
        calls.push({ command, options: words.filter((w) => w.startsWith('--')) });
      }
    }
  }
  return calls;
}

async function help(command: string[]): Promise<string> {
  let out = '';
  const code = await runCli([...command, '--help'], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
  });
  expect(code, `mlops ${command.join(' ')} --help`).toBe(0);
  return out;
}

describe('the example workflows', () => {
  it('are the three a platform team copies', () => {
    expect(readdirSync(dir).sort()).toEqual(['data-pipeline.yml', 'serving.yml', 'training-pipeline.yml']);
  });

  it.each([
    ['data-pipeline.yml', ['dags deploy', 'dags trigger']],
    ['training-pipeline.yml', ['train-set', 'models promote']],
    ['serving.yml', ['models resolve']],
  ])('%s calls mlops %j with options the CLI has', async (file, expected) => {
    const calls = mlopsCalls(file);
    expect(calls.map((c) => c.command.join(' '))).toEqual(expected);
    for (const { command, options } of calls) {
      const text = await help(command);
      expect(text).toContain(`Usage: mlops ${command.join(' ')} `);
      for (const option of options)
        expect(text, `mlops ${command.join(' ')} ${option}`).toMatch(new RegExp(`${option}\\b`));
    }
  });
});
