import { runCli } from '../../src/cli/runCli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the casestream CLI in this process with exactly `env` (no env file), capturing its output. */
export const runCliWith = async (env: Record<string, string>, ...argv: string[]): Promise<CliRun> => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { ENV_FILE: '/dev/null', LOG_LEVEL: 'error', ...env } });
  return { code, stdout, stderr };
};
