import { pushTo } from './pushTo.js';

/** A small command-line parser: `--name value`, `--name=value`, `--flag`; repeated names collect. */
export interface ParsedArgs {
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
}

export const parseArgs = (argv: readonly string[], flagNames: readonly string[]): ParsedArgs => {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (flagNames.includes(name)) {
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    pushTo(values, name, value);
  }
  return { values, flags };
};

export const intArg = (args: ParsedArgs, name: string, fallback: number, min = 1): number => {
  const raw = args.values.get(name)?.at(-1);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${raw}`);
  return n;
};

export const numberArg = (args: ParsedArgs, name: string, fallback: number): number => {
  const raw = args.values.get(name)?.at(-1);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
  return n;
};

export const stringArg = (args: ParsedArgs, name: string, fallback: string): string => args.values.get(name)?.at(-1) ?? fallback;

/** Rejects names the command does not know, so a typo does not silently run the default. */
export const checkKnown = (args: ParsedArgs, known: readonly string[]): void => {
  for (const name of [...args.values.keys(), ...args.flags]) {
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  }
};
