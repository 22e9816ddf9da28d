import type { WorkloadOptions } from './workload.js';

/** What the orchestrator tells a baseline or limit child process (JSON in the BENCH_CONFIG environment variable). */
export interface ChildConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly clientTopic: string;
  readonly commandTopic: string;
  readonly deadLetterTopic: string;
  readonly notificationTopic: string;
  readonly groupId: string;
  readonly mongoUrl: string;
  readonly dbName: string;
  readonly configServiceUrl: string;
  /**
   * The limit only: the options of the run's workload, so that it writes the documents casestream
   * writes for it (bench/common/storedDocuments.ts); without them it writes filler documents.
   */
  readonly workload?: WorkloadOptions;
}

export const readChildConfig = (): ChildConfig => {
  const raw = process.env.BENCH_CONFIG;
  if (!raw) throw new Error('BENCH_CONFIG is not set (this process is started by bench/e2e)');
  return JSON.parse(raw) as ChildConfig;
};

/** Stops the process cleanly on SIGTERM/SIGINT: `close` runs once, then the process exits 0. */
export const onStop = (close: () => Promise<void>): void => {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
};
