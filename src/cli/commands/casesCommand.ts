import { formatDuration } from '../../infra/envCodecs.js';
import { casesDueForErasure, splitForErasure, type CaseDueForErasure } from '../../infra/mongo/casesDueForErasure.js';
import { positiveIntOption, UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

const DAY_MS = 86_400_000;

/**
 * `casestream cases due-for-erasure`: the cases closed longer than RETENTION_CASE_CLOSED whose
 * subjects still hold personal data, longest closed first; those with nothing left are only counted.
 * It only reports: erasing, or placing a hold, is a person's decision.
 */
export const casesCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  if (args.words[1] !== 'due-for-erasure') throw new UsageError('cases needs: due-for-erasure [--limit N]');
  const retentionMs = ctx.settings.retention.caseClosedMs;
  if (retentionMs === null) {
    show(
      out,
      { retention: 'forever', closed_before: null, cases: [], held: [], erased: [] },
      () => 'RETENTION_CASE_CLOSED is forever: no case is ever due',
    );
    return 0;
  }
  const now = new Date();
  const closedBefore = new Date(now.getTime() - retentionMs);
  const found = await casesDueForErasure((await ctx.mongo()).db, closedBefore, positiveIntOption(args, 'limit', 10_000));
  const retention = formatDuration(retentionMs);
  const report = { retention, closed_before: closedBefore.toISOString(), ...splitForErasure(found) };
  const rows = (cases: readonly CaseDueForErasure[]) =>
    cases.map((c) => ({
      ...c,
      closed_at: c.closed_at.toISOString(),
      closed_days: Math.floor((now.getTime() - c.closed_at.getTime()) / DAY_MS),
      hold: c.legal_hold?.reason,
    }));
  const columns = ['case_id', 'type', 'traitement_type', 'client_id', 'closed_at', 'closed_days', 'closure_reason', 'personal_data_left'];
  show(out, report, (r) =>
    [
      ...(r.cases.length === 0 ? [] : [table(rows(r.cases), columns)]),
      `${r.cases.length} case(s) closed before ${r.closed_before} (RETENTION_CASE_CLOSED=${retention}): due for erasure; casestream erases nothing by itself`,
      ...(r.held.length === 0
        ? []
        : [table(rows(r.held), [...columns, 'hold']), `${r.held.length} more under legal hold: not to be erased until the hold is lifted`]),
      ...(r.erased.length === 0 ? [] : [`${r.erased.length} more closed case(s) hold no personal data any more: nothing to erase`]),
    ].join('\n'),
  );
  return 0;
};
