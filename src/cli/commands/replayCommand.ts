import { estimatedEventCount } from '../../infra/mongo/eventStore.js';
import { replayReadModels } from '../../infra/mongo/replayReadModels.js';
import { positiveIntOption, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { interruption } from '../interruption.js';
import { confirmed, show, table, type Output } from '../output.js';
import { endProgress, replayProgressView } from '../replayProgressView.js';

/** The exit code of a command stopped by a signal (128 + SIGINT). */
const INTERRUPTED = 130;

/** `casestream replay`: rebuilds every read model from domain_events, safe while the service runs. */
export const replayCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const batchSize = positiveIntOption(args, 'batch', 1000);
  const mongo = await ctx.mongo();
  const events = await estimatedEventCount(mongo.db);
  const question = `Rebuild every read model of database ${ctx.settings.mongo.dbName} from its ${events} events and swap the rebuilt ones in?`;
  const answer = await confirmed(out, question, args.flags.has('yes'));
  if (answer === undefined) {
    out.note('casestream: replay replaces every read model and needs a confirmation: run it on a terminal, or pass --yes\n');
    return 2;
  }
  if (!answer) {
    out.note('casestream: replay cancelled, nothing changed\n');
    return 1;
  }
  const interrupt = interruption((name) => {
    endProgress(out);
    out.note(`casestream: ${name}: stopping; before the swap the half-built read models are dropped and the live ones stay as they are\n`);
  });
  try {
    const result = await replayReadModels(mongo.db, {
      ...mongo.accommodations,
      batchSize,
      dropOld: args.flags.has('drop-old'),
      signal: interrupt.signal,
      onProgress: replayProgressView(out),
    });
    endProgress(out);
    show(out, result, (r) =>
      [
        `replayed ${r.events} events (${r.catch_up_passes} catch-up passes before the swap, ${r.settled} documents settled after it) and swapped the rebuilt read models in`,
        table(
          Object.entries(r.documents).map(([collection, documents]) => ({ collection, documents })),
          ['collection', 'documents'],
        ),
        ...(r.held_back > 0 ? [`warning: ${r.held_back} events were not projected: an earlier version of their stream is missing`] : []),
        ...(r.cleaned.length > 0 ? [`dropped the half-built collections of an interrupted replay: ${r.cleaned.join(', ')}`] : []),
        `dropped ${r.snapshots_dropped} case snapshots: each case's next append writes a new one`,
        r.kept.length > 0
          ? `replaced read models kept aside (drop them with --drop-old next time, or by hand): ${r.kept.join(', ')}`
          : 'no replaced read models kept',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (!interrupt.signal.aborted || error !== interrupt.signal.reason) throw error;
    out.note('casestream: replay interrupted; its collections are dropped, the live read models are unchanged\n');
    return INTERRUPTED;
  } finally {
    interrupt.dispose();
  }
};
