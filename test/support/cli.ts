import { runCli } from '../../src/cli/runCli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliTerminal {
  /** What the person at the terminal answers to every question (stdin is a terminal). */
  readonly answer?: string;
  /** Called with each piece of stderr as it is written (progress, notices). */
  readonly onStderr?: (text: string) => void;
}

/** Runs the casestream CLI in this process with exactly `env` (no env file), capturing its output. */
export const runCliWith = (env: Record<string, string>, ...argv: string[]): Promise<CliRun> => runCliAt({}, env, ...argv);

/** As runCliWith, with a terminal that answers `terminal.answer` (none: stdin is no terminal). */
export const runCliAt = async (terminal: CliTerminal, env: Record<string, string>, ...argv: string[]): Promise<CliRun> => {
  let stdout = '';
  let stderr = '';
  const { answer, onStderr } = terminal;
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => {
      stderr += t;
      onStderr?.(t);
    },
    env: { ENV_FILE: '/dev/null', LOG_LEVEL: 'error', ...env },
    ...(answer === undefined ? {} : { ask: async (question: string) => ((stderr += question), answer) }),
  });
  return { code, stdout, stderr };
};
