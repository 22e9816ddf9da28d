import { concatMap, Observable, of, Subscription, type OperatorFunction } from 'rxjs';

/**
 * Runs independent steps of one item's work at the same time, then emits the item once: the item
 * waits for the slowest step instead of for the sum of them all. Every step runs to its own end
 * before a failure is passed on (the first failing step's error, in step order), so a failure never
 * leaves a sibling cancelled halfway; the caller's retry redoes them all. What the steps emit is
 * ignored. Items are handled one after the other, like `concatMap`.
 */
export const concurrently = <T>(first: OperatorFunction<T, unknown>, ...rest: OperatorFunction<T, unknown>[]): OperatorFunction<T, T> => {
  const steps = [first, ...rest];
  // Hand-rolled rather than forkJoin + materialize: it runs for every message, and those cost
  // a dozen subscribers more per message in the operators benchmark.
  return concatMap(
    (item) =>
      new Observable<T>((subscriber) => {
        const subscriptions = new Subscription();
        const failures: ({ readonly error: unknown } | undefined)[] = [];
        let running = steps.length;
        const ended = (): void => {
          running -= 1;
          if (running > 0) return;
          const failed = failures.find((f) => f !== undefined);
          if (failed === undefined) {
            subscriber.next(item);
            subscriber.complete();
          } else subscriber.error(failed.error);
        };
        steps.forEach((step, i) => {
          subscriptions.add(
            of(item)
              .pipe(step)
              .subscribe({
                error: (error: unknown) => {
                  failures[i] = { error };
                  ended();
                },
                complete: ended,
              }),
          );
        });
        return subscriptions;
      }),
  );
};
