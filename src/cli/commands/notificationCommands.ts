import { defer, lastValueFrom, take } from 'rxjs';
import { endedCommands } from '../../infra/mongo/commandResults.js';
import { outboxStatus } from '../../infra/mongo/outboxStatus.js';
import { retryLookupFailures, type RetryOutcome } from '../../streams/retryLookupFailures.js';
import { outboxRelay } from '../../streams/outboxRelay.js';
import { positiveIntOption, UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

/** The ports that publishing notifications from the CLI needs: the event store and the Kafka sink. */
const publishing = async (ctx: CliContext) => ({
  eventStore: await ctx.eventStore(),
  notifications: (await ctx.kafkaSinks()).notifications,
});

const detailOf = (o: RetryOutcome): string => {
  switch (o.outcome) {
    case 'notified':
      return o.event_id;
    case 'still-failing':
    case 'rejected':
      return o.reason;
    case 'pending':
      return `command ${o.command_id}`;
    default:
      return '';
  }
};

/** Outcomes that leave work to do: a scheduler running the command should try again. */
const UNSETTLED: ReadonlySet<RetryOutcome['outcome']> = new Set(['still-failing', 'rejected', 'pending']);

const OUTCOME_ORDER: readonly RetryOutcome['outcome'][] = [
  'notified',
  'no-rule',
  'already-notified',
  'other-trigger',
  'still-failing',
  'rejected',
  'pending',
];

const summaryOf = (os: readonly RetryOutcome[], waitMs: number): string => {
  const counts = OUTCOME_ORDER.map((k) => [k, os.filter((o) => o.outcome === k).length] as const).filter(([, n]) => n > 0);
  const pending = os.some((o) => o.outcome === 'pending') ? ` (no result within ${waitMs} ms: is casestream running?)` : '';
  return `${os.length} retried: ${counts.map(([k, n]) => `${n} ${k}`).join(', ')}${pending}`;
};

/**
 * `casestream notifications retry`: sends a RetryNotificationLookup per open lookup failure to the
 * command topic, for the running service to handle in each case's actor, and reports how each ended.
 */
export const notificationsCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  if (args.words[1] !== 'retry') throw new UsageError('notifications needs: retry [--limit N] [--wait-ms MS]');
  const limit = positiveIntOption(args, 'limit', 10_000);
  const waitMs = positiveIntOption(args, 'wait-ms', 30_000);
  const [failures, publisher, { db }] = await Promise.all([ctx.lookupFailures(), ctx.commandPublisher(), ctx.mongo()]);
  const outcomes = await lastValueFrom(
    retryLookupFailures(
      {
        open: (n) => failures.open(n),
        find: (ids) => failures.find(ids),
        publish: (command) => defer(() => publisher.publish(command)),
        ended: (ids) => defer(() => endedCommands(db, ids)),
      },
      { limit, waitMs, pollMs: 250 },
    ),
  );
  show(out, outcomes, (os) =>
    os.length === 0
      ? 'no failed rule lookups to retry'
      : `${table(
          os.map((o) => ({ case_id: o.case_id, trigger: o.trigger, outcome: o.outcome, detail: detailOf(o) })),
          ['case_id', 'trigger', 'outcome', 'detail'],
        )}\n${summaryOf(os, waitMs)}`,
  );
  return outcomes.some((o) => UNSETTLED.has(o.outcome)) ? 1 : 0;
};

/** `casestream outbox status|flush`: notifications stored but not yet acknowledged by Kafka. */
export const outboxCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const action = args.words[1];
  if (action === 'status') {
    const status = await outboxStatus((await ctx.mongo()).db);
    show(out, status, (s) => table([{ ...s }], ['pending', 'published', 'oldest_pending_since']));
    return 0;
  }
  if (action === 'flush') {
    const { eventStore, notifications } = await publishing(ctx);
    const report = await lastValueFrom(
      outboxRelay({ pendingNotifications: (limit, before) => eventStore.pendingNotifications(limit, before) }, notifications, {
        intervalMs: 1000,
        batchSize: positiveIntOption(args, 'batch', ctx.settings.pipeline.outboxBatch),
        graceMs: 0,
      }).pipe(take(1)),
    );
    show(
      out,
      report.kind === 'relayed' ? { published: report.published } : { published: report.published, error: String(report.error) },
      (r) => ('error' in r ? `published ${r.published}, then failed: ${r.error}` : `published ${r.published} pending notification(s)`),
    );
    return report.kind === 'relayed' ? 0 : 1;
  }
  throw new UsageError('outbox needs: status | flush [--batch N]');
};
