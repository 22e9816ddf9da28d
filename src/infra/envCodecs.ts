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

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// Lower-case units only: `6M` must not pass for six months when it would be read as six minutes.
const DURATION = /^\s*(\d{1,12})\s*(ms|s|m|h|d)\s*$/;

/** Milliseconds of a duration written with its unit (`500ms`, `30s`, `15m`, `12h`, `90d`); NaN when it is not one. */
export const parseDurationMs = (text: string): number => {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS] : NaN;
};

/** A duration as the shortest exact text with a unit, e.g. 2592000000 → `30d`. */
export const formatDuration = (ms: number): string => {
  const [unit, unitMs] = Object.entries(DURATION_UNITS_MS)
    .reverse()
    .find(([, size]) => ms % size === 0)!;
  return `${ms / unitMs}${unit}`;
};

const durationRange = (minMs: number, maxMs: number): string =>
  `a duration with its unit (ms, s, m, h or d) from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`;

/** The milliseconds of `u` when it is a duration from `minMs` to `maxMs`, else undefined. */
const durationIn = (u: unknown, minMs: number, maxMs: number): number | undefined => {
  const ms = typeof u === 'string' ? parseDurationMs(u) : NaN;
  return ms >= minMs && ms <= maxMs ? ms : undefined;
};

/** A duration with its unit, from `minMs` to `maxMs`, decoded as milliseconds. */
export const duration = (fallbackMs: number, minMs: number, maxMs: number) =>
  new t.Type<number, string, unknown>(
    durationRange(minMs, maxMs),
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallbackMs);
      const ms = durationIn(u, minMs, maxMs);
      return ms !== undefined ? t.success(ms) : t.failure(u, c, `must be ${durationRange(minMs, maxMs)}, got ${JSON.stringify(u)}`);
    },
    formatDuration,
  );

/** How long something is kept: a duration from `minMs` to `maxMs` (in milliseconds), or `forever` (null). */
export const retentionPeriod = (fallbackMs: number | null, minMs: number, maxMs: number) =>
  new t.Type<number | null, string, unknown>(
    `forever or ${durationRange(minMs, maxMs)}`,
    (u): u is number | null => u === null || typeof u === 'number',
    (u, c) => {
      if (u === undefined || u === '') return t.success(fallbackMs);
      if (typeof u === 'string' && u.trim().toLowerCase() === 'forever') return t.success(null);
      const ms = durationIn(u, minMs, maxMs);
      return ms !== undefined
        ? t.success(ms)
        : t.failure(u, c, `must be forever or ${durationRange(minMs, maxMs)}, got ${JSON.stringify(u)}`);
    },
    (a) => (a === null ? 'forever' : formatDuration(a)),
  );
