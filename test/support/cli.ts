import { runCli } from '../../src/cli/runCli.js';
import type { ServiceHarness } from './serviceHarness.js';

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

/**
 * The settings that point a CLI run at the harness's own brokers, topics, database and rule cache,
 * with `extra` on top; the rest keep their defaults.
 */
export const cliEnvOf = (svc: ServiceHarness, extra: Record<string, string> = {}): Record<string, string> => {
  const s = svc.env;
  return {
    KAFKA_BOOTSTRAP_SERVERS: s.KAFKA_BOOTSTRAP_SERVERS.join(','),
    KAFKA_TOPIC_NAME: s.KAFKA_TOPIC_NAME,
    KAFKA_COMMAND_TOPIC: s.KAFKA_COMMAND_TOPIC,
    KAFKA_DLQ_TOPIC: s.KAFKA_DLQ_TOPIC,
    NOTIFICATION_KAFKA_TOPIC: s.NOTIFICATION_KAFKA_TOPIC,
    MONGO_DETAILS: s.MONGO_DETAILS,
    DB_NAME: s.DB_NAME,
    REDIS_URL: s.REDIS_URL,
    ...extra,
  };
};
