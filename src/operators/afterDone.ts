import { concat, ignoreElements, of, type Observable } from 'rxjs';

/** Runs a side effect to completion, then emits `value`: a port that completes without a value loses nothing. */
export const afterDone = <T>(effect: Observable<unknown>, value: T): Observable<T> => concat(effect.pipe(ignoreElements()), of(value));
