import * as E from 'fp-ts/lib/Either.js';
import { nestsDeeperThan } from '../../domain/jsonDepth.js';
import type { FieldError } from '../../domain/rejection.js';

export interface JsonBodyLimits {
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
  /** How many failing paths are listed. */
  readonly maxErrors: number;
}

const childPath = (path: string, key: string, inArray: boolean): string => (inArray ? `${path}[${key}]` : `${path}.${key}`);

/**
 * Every `$`-prefixed key (an operator to MongoDB) and every non-finite number (`1e400` parses as
 * Infinity) in a parsed body, depth first, at most `maxErrors` of them. Iterative, whatever the depth.
 */
export const unsafeJsonValues = (value: unknown, maxErrors: number): FieldError[] => {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string }[] = [{ value, path: '$' }];
  while (stack.length > 0 && errors.length < maxErrors) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'number' && !Number.isFinite(v)) errors.push({ path, rule: 'must be a finite number' });
    if (typeof v !== 'object' || v === null) continue;
    const inArray = Array.isArray(v);
    const children: { value: unknown; path: string }[] = [];
    for (const [key, child] of Object.entries(v)) {
      const at = childPath(path, key, inArray);
      if (!inArray && key.startsWith('$')) errors.push({ path: at, rule: 'must not be a key starting with "$"' });
      else children.push({ value: child, path: at });
    }
    // A loop, not push(...children): a spread of a 500,000-item array overflows the call stack.
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]!);
  }
  return errors.slice(0, maxErrors);
};

/**
 * A request body as JSON, or the 422 details: nested deeper than allowed, not JSON, or holding
 * `$` keys or non-finite numbers, which no route accepts and which must never reach the database.
 */
export const parseJsonBody = (text: string, limits: JsonBodyLimits): E.Either<FieldError[], unknown> => {
  if (nestsDeeperThan(text, limits.maxDepth))
    return E.left([{ path: '$', rule: `must not nest objects and arrays more than ${limits.maxDepth} deep` }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return E.left([{ path: '$', rule: 'must be a JSON document' }]);
  }
  const unsafe = unsafeJsonValues(parsed, limits.maxErrors);
  return unsafe.length > 0 ? E.left(unsafe) : E.right(parsed);
};
