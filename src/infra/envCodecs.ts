import * as t from 'io-ts';

/**
 * io-ts codecs of environment values: an unset or empty variable takes the default, anything else
 * must parse, with a message that says what was expected and what came.
 */

export const text = (fallback: string) =>
  new t.Type<string, string, unknown>(
    'text',
    (u): u is string => typeof u === 'string',
    (u, c) => (u === undefined || u === '' ? t.success(fallback) : typeof u === 'string' ? t.success(u) : t.failure(u, c, 'must be text')),
    t.identity,
  );

export const optionalText = new t.Type<string | undefined, string | undefined, unknown>(
  'optional text',
  (u): u is string | undefined => u === undefined || typeof u === 'string',
  (u, c) => (u === undefined || u === '' ? t.success(undefined) : typeof u === 'string' ? t.success(u) : t.failure(u, c, 'must be text')),
  t.identity,
);

export const integer = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  new t.Type<number, string, unknown>(
    `an integer from ${min} to ${max}`,
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const n = typeof u === 'string' && /^-?\d+$/.test(u.trim()) ? Number(u) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max
        ? t.success(n)
        : t.failure(u, c, `must be an integer from ${min} to ${max}, got ${JSON.stringify(u)}`);
    },
    String,
  );

export const seconds = (fallback: number) =>
  new t.Type<number, string, unknown>(
    'seconds',
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const n = typeof u === 'string' ? Number(u) : NaN;
      return Number.isFinite(n) && n > 0 ? t.success(n) : t.failure(u, c, `must be a positive number of seconds, got ${JSON.stringify(u)}`);
    },
    String,
  );

const parsesAs = (value: string, schemes: readonly string[]): boolean => {
  try {
    return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
  } catch {
    return false;
  }
};

/** A number from 0 to 1, e.g. a sampling ratio. */
export const ratio = (fallback: number) =>
  new t.Type<number, string, unknown>(
    'a number from 0 to 1',
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const n = typeof u === 'string' && /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(u) ? Number(u) : NaN;
      return n >= 0 && n <= 1 ? t.success(n) : t.failure(u, c, `must be a number from 0 to 1, got ${JSON.stringify(u)}`);
    },
    String,
  );

export const optionalUrl = (schemes: readonly string[]) =>
  new t.Type<string | undefined, string | undefined, unknown>(
    `a ${schemes.join('/')} URL`,
    (u): u is string | undefined => u === undefined || typeof u === 'string',
    (u, c) =>
      u === undefined || u === ''
        ? t.success(undefined)
        : typeof u === 'string' && parsesAs(u, schemes)
          ? t.success(u)
          : t.failure(u, c, `must be a ${schemes.join(' or ')} URL`),
    t.identity,
  );

export const url = (schemes: readonly string[], fallback: string) =>
  new t.Type<string, string, unknown>(
    `a ${schemes.join('/')} URL`,
    (u): u is string => typeof u === 'string',
    (u, c) => {
      const value = u === undefined || u === '' ? fallback : u;
      return typeof value === 'string' && parsesAs(value, schemes)
        ? t.success(value)
        : t.failure(u, c, `must be a ${schemes.join(' or ')} URL`);
    },
    t.identity,
  );

export const logLevel = new t.Type<string, string, unknown>(
  'log level',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    const v = u === undefined || u === '' ? 'info' : typeof u === 'string' ? u.toLowerCase() : '';
    return ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)
      ? t.success(v)
      : t.failure(u, c, 'must be one of fatal, error, warn, info, debug, trace, silent');
  },
  t.identity,
);

export const brokers = new t.Type<string[], string, unknown>(
  'host:port list',
  (u): u is string[] => Array.isArray(u),
  (u, c) => {
    const v = u === undefined || u === '' ? 'localhost:9092' : u;
    if (typeof v !== 'string') return t.failure(u, c, 'must be a comma-separated host:port list');
    const list = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return list.length > 0 && list.every((b) => /^[^\s:]+:\d{1,5}$/.test(b))
      ? t.success(list)
      : t.failure(u, c, 'must be a comma-separated host:port list');
  },
  (a) => a.join(','),
);

export const choice = <L extends string>(values: readonly L[], fallback: L) =>
  new t.Type<L, string, unknown>(
    values.join('|'),
    (u): u is L => typeof u === 'string' && (values as readonly string[]).includes(u),
    (u, c) => {
      const v = u === undefined || u === '' ? fallback : typeof u === 'string' ? u.toLowerCase() : '';
      const found = values.find((x) => x.toLowerCase() === v.toLowerCase());
      return found ? t.success(found) : t.failure(u, c, `must be one of ${values.join(', ')}`);
    },
    t.identity,
  );

export const flag = (fallback: boolean) =>
  new t.Type<boolean, string, unknown>(
    'true|false',
    (u): u is boolean => typeof u === 'boolean',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallback);
      const v = typeof u === 'string' ? u.trim().toLowerCase() : '';
      if (['true', '1', 'yes'].includes(v)) return t.success(true);
      if (['false', '0', 'no'].includes(v)) return t.success(false);
      return t.failure(u, c, 'must be true or false');
    },
    String,
  );
