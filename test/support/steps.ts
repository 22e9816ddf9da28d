import { concatMap, type OperatorFunction } from 'rxjs';
import { runStep, type Step } from '../../src/operators/steps.js';

/** A step as an operator, for marble tests that feed it several values: each in turn, like concatMap. */
export const asOperator = <T, R>(step: Step<T, R>): OperatorFunction<T, R> => concatMap((value) => runStep(() => step(value)));
