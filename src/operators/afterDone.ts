import type { Observable } from 'rxjs';
import { whenComplete, type Pending } from './steps.js';

/**
 * Runs a side effect to completion, then answers `value`: a port that completes without a value
 * loses nothing. Pending work (src/operators/steps.ts): it costs the effect's subscription alone.
 */
export const afterDone = <T>(effect: Observable<unknown>, value: T): Pending<T> => whenComplete(effect, () => value);
