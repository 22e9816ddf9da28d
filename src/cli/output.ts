/** How CLI results are shown: aligned tables for people, JSON for scripts. */

export interface Output {
  readonly json: boolean;
  /** A line of the result, on stdout. */
  line(text: string): void;
  /** Progress, prompts and notices, on stderr: stdout carries the result alone. */
  note(text: string): void;
  /** stderr is a terminal: progress may be redrawn in place. */
  readonly terminal: boolean;
  /** Asks the person at the terminal for an answer; absent when stdin is no terminal. */
  readonly ask?: (question: string) => Promise<string>;
}

const cell = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Renders rows as a table with a header, columns padded to their widest cell. */
export const table = (rows: readonly Record<string, unknown>[], columns: readonly string[]): string => {
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const render = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(columns.map((c) => c.toUpperCase())), ...cells.map(render)].join('\n');
};

/** Shows a result: as JSON, or through `human` as text. */
export const show = <T>(out: Output, value: T, human: (value: T) => string): void => {
  out.line(out.json ? JSON.stringify(value, null, 2) : human(value));
};

/**
 * Whether the person at the terminal said yes to `question`; `yes` (the `--yes` flag) answers for
 * them. Undefined when nobody can answer: no terminal and no `--yes`.
 */
export const confirmed = async (out: Output, question: string, yes: boolean): Promise<boolean | undefined> => {
  if (yes) return true;
  if (!out.ask) return undefined;
  return /^y(es)?$/i.test((await out.ask(`${question} [y/N] `)).trim());
};
