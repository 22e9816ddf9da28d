/** SIGINT/SIGTERM as an AbortSignal for the duration of one command, which then cleans up itself. */
export interface Interruption {
  readonly signal: AbortSignal;
  /** Gives the signals back to their default handling. */
  dispose(): void;
}

export const interruption = (onSignal: (name: NodeJS.Signals) => void): Interruption => {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    onSignal(name);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
};
