import * as E from 'fp-ts/lib/Either.js';
import { decode, pathId } from '../../infra/http/apiCodecs.js';
import { createMongoCaseExportReads } from '../../infra/mongo/caseExport.js';
import { exportCase, type CaseExportReads } from '../../streams/caseExport.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { interruption } from '../interruption.js';
import { show, type Output } from '../output.js';
import { writeFileAtomically } from '../writeFileAtomically.js';

const USAGE = 'export-case <case id> [--out FILE]';

/** Owner only: the export holds personal data. */
const FILE_MODE = 0o600;

/** The case id of the command line, checked as the API checks a case id in a path. */
const caseIdOf = (args: ParsedArgs): string => {
  if (args.words.length !== 2) throw new UsageError(`export-case needs one case id: ${USAGE}`);
  const case_id = args.words[1]!;
  const decoded = decode(pathId('case_id'), { path: { case_id } });
  if (E.isLeft(decoded)) throw new UsageError(`the case id ${decoded.left.map((e) => e.rule).join(', ')}: ${USAGE}`);
  return case_id;
};

const outOf = (args: ParsedArgs): string | undefined => {
  const out = args.options.get('out');
  if (out !== undefined && out.trim() === '') throw new UsageError(`--out needs a file name: ${USAGE}`);
  return out;
};

/**
 * `casestream export-case`, on the reads given: the export document on stdout, or in the file
 * `--out` names (written whole or not at all, readable by its owner only). Exit 1 for an unknown
 * case, with nothing written.
 */
export const exportCaseFrom = async (reads: () => Promise<CaseExportReads>, args: ParsedArgs, out: Output): Promise<number> => {
  const case_id = caseIdOf(args);
  const file = outOf(args);
  const lines = await exportCase(await reads(), case_id, { exported_at: new Date() });
  if (lines === undefined) {
    out.note(`casestream: no case ${case_id}\n`);
    return 1;
  }
  if (file === undefined) {
    for await (const chunk of lines) out.line(chunk);
    return 0;
  }
  // Interrupted (Ctrl-C), the write fails at its next chunk and so removes its temporary file.
  const interrupt = interruption(() => undefined);
  try {
    await writeFileAtomically(file, withLineEnds(lines, interrupt.signal), FILE_MODE);
  } finally {
    interrupt.dispose();
  }
  show(out, { case_id, file }, (r) => `case ${r.case_id} exported to ${r.file}`);
  return 0;
};

async function* withLineEnds(chunks: AsyncIterable<string>, signal: AbortSignal): AsyncGenerator<string> {
  for await (const chunk of chunks) {
    signal.throwIfAborted();
    yield `${chunk}\n`;
  }
}

/** `casestream export-case <case id> [--out FILE]`: a case's full history for an auditor, as one JSON document. */
export const exportCaseCommand = (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> =>
  exportCaseFrom(async () => createMongoCaseExportReads((await ctx.mongo()).db), args, out);
