/** The steps of a graceful stop, in the order they must happen. */
export interface ShutdownSteps {
  /** Stop taking new messages (in-flight ones carry on). */
  readonly stopIntake: () => void;
  /** Settles when every message taken has completed. */
  readonly drained: Promise<void>;
  /** Commit the offsets of what is complete. */
  readonly commit: () => Promise<void>;
  /** Flush and close every client. */
  readonly close: () => Promise<void>;
}

export interface ShutdownOptions {
  readonly timeoutMs: number;
  readonly onTimeout: () => void;
  readonly onCommitFailed: (error: unknown) => void;
}

/**
 * Stops the service: no new messages, in-flight ones finish within `timeoutMs` (after that they
 * are abandoned and will be redelivered), what is complete is committed, clients are closed.
 * A failed commit never prevents the close.
 */
export const shutDown = async (steps: ShutdownSteps, options: ShutdownOptions): Promise<'drained' | 'timed-out'> => {
  steps.stopIntake();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    steps.drained.then(
      () => 'drained' as const,
      () => 'drained' as const,
    ),
    new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => resolve('timed-out'), options.timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'timed-out') options.onTimeout();
  await steps.commit().catch(options.onCommitFailed);
  await steps.close();
  return outcome;
};
