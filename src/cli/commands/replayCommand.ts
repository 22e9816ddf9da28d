import { replayReadModels, type ReplayProgress } from '../../infra/mongo/replayReadModels.js';
import { positiveIntOption, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

const BAR_WIDTH = 30;

/** A progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise. */
export const progressBar = (write: (text: string) => void, isTty: boolean) => {
  let lastDecile = -1;
  return ({ done, total }: ReplayProgress) => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * BAR_WIDTH);
    const text = `[${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${done}/${total} events`;
    if (isTty) write(`\r${text}${ratio === 1 ? '\n' : ''}`);
    else if (Math.floor(ratio * 10) > lastDecile) {
      lastDecile = Math.floor(ratio * 10);
      write(`${text}\n`);
    }
  };
};

/** `casestream replay`: rebuilds every read model from domain_events. */
export const replayCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const { db } = await ctx.mongo();
  const result = await replayReadModels(db, {
    batchSize: positiveIntOption(args, 'batch', 1000),
    onProgress: progressBar((t) => process.stderr.write(t), Boolean(process.stderr.isTTY)),
  });
  show(out, result, (r) =>
    [`replayed ${r.events} events into fresh read models and swapped them in`, table(Object.entries(r.documents).map(([collection, documents]) => ({ collection, documents })), ['collection', 'documents'])].join('\n'),
  );
  return 0;
};
