/** A small argv parser: positional words, `--flag` booleans and `--name value` options. */
export interface ParsedArgs {
  readonly words: readonly string[];
  readonly flags: ReadonlySet<string>;
  readonly options: ReadonlyMap<string, string>;
}

const VALUED = new Set([
  'pattern',
  'limit',
  'batch',
  'wait-ms',
  'scope',
  'case',
  'person',
  'beneficial-owner',
  'client',
  'reason',
  'by',
  'out',
]);

export const parseArgs = (argv: readonly string[]): ParsedArgs => {
  const words: string[] = [];
  const flags = new Set<string>();
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) options.set(name, inline);
    else if (VALUED.has(name)) {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
      i += 1;
    } else flags.add(name);
  }
  return { words, flags, options };
};

/** The command line itself is wrong: exit code 2 with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const positiveIntOption = (args: ParsedArgs, name: string, fallback: number): number => {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${raw}`);
  return n;
};
