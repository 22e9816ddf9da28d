import { concatMap, forkJoin, ignoreElements, materialize, of, throwError, type OperatorFunction } from 'rxjs';

/**
 * Runs independent steps of one item's work at the same time, then emits the item once: the item
 * waits for the slowest step instead of for the sum of them all. Every step runs to its own end
 * before a failure is passed on (the first failing step's error, in step order), so a failure never
 * leaves a sibling cancelled halfway; the caller's retry redoes them all. What the steps emit is
 * ignored. Items are handled one after the other, like `concatMap`.
 */
export const concurrently = <T>(first: OperatorFunction<T, unknown>, ...rest: OperatorFunction<T, unknown>[]): OperatorFunction<T, T> =>
  concatMap((item) =>
    forkJoin([first, ...rest].map((step) => of(item).pipe(step, ignoreElements(), materialize()))).pipe(
      concatMap((ends) => {
        const failed = ends.find((end) => end.kind === 'E');
        return failed === undefined ? of(item) : throwError(() => failed.error);
      }),
    ),
  );
