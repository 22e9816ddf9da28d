import { lastValueFrom, take, toArray } from 'rxjs';
import { createMongoEventStore, eventsCollection, outboxCollection } from '../../infra/mongo/eventStore.js';
import { createMongoLookupFailures } from '../../infra/mongo/lookupFailures.js';
import { createKafkaSinks } from '../../infra/kafka/kafkaSinks.js';
import { createCachedRuleLookup } from '../../infra/rules/cachedRuleLookup.js';
import { retryLookupFailures, type RetryOutcome } from '../../streams/retryLookupFailures.js';
import { outboxRelay } from '../../streams/outboxRelay.js';
import { positiveIntOption, UsageError, type ParsedArgs } from '../args.js';
import type { CliContext } from '../cliContext.js';
import { show, table, type Output } from '../output.js';

/** The ports that publishing notifications from the CLI needs: the event store and the Kafka sink. */
const publishing = async (ctx: CliContext) => {
  const { db } = await ctx.mongo();
  const eventStore = createMongoEventStore(db);
  const sinks = createKafkaSinks(await ctx.producer(), {
    notificationTopic: ctx.settings.NOTIFICATION_KAFKA_TOPIC,
    deadLetterTopic: ctx.settings.KAFKA_DLQ_TOPIC,
    maxBatch: ctx.settings.DB_MAX_BATCH,
    markPublished: (ids) => eventStore.markPublished(ids),
  });
  return { db, eventStore, notifications: sinks.notifications };
};

const outcomeRow = (o: RetryOutcome) => ({
  case_id: o.case_id,
  trigger: o.trigger,
  outcome: o.outcome,
  detail: o.outcome === 'notified' ? o.event_id : o.outcome === 'still-failing' ? o.reason : '',
});

/** `casestream notifications retry`: asks again for the rules of cases whose lookup failed. */
export const notificationsCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  if (args.words[1] !== 'retry') throw new UsageError('notifications needs: retry [--limit N]');
  const { db, eventStore, notifications } = await publishing(ctx);
  const rules = createCachedRuleLookup({
    url: ctx.settings.CONFIG_SERVICE_URL,
    timeoutMs: ctx.settings.DEFAULT_HTTP_TIMEOUT * 1000,
    redis: ctx.redis(),
    ttlSeconds: ctx.settings.CONFIG_CACHE_TTL_SECONDS,
    negativeTtlSeconds: ctx.settings.CONFIG_CACHE_NEGATIVE_TTL_SECONDS,
    staleTtlSeconds: ctx.settings.CONFIG_CACHE_STALE_TTL_SECONDS,
    logger: ctx.logger,
  });
  const outcomes = await lastValueFrom(
    retryLookupFailures(
      { failures: createMongoLookupFailures(db), rules, eventStore, notifications },
      { limit: positiveIntOption(args, 'limit', 10_000), maxConflictRetries: ctx.settings.MAX_CONFLICT_RETRIES, concurrency: 64 },
    ).pipe(toArray()),
  );
  show(out, outcomes, (os) =>
    os.length === 0 ? 'no failed rule lookups to retry' : `${table(os.map(outcomeRow), ['case_id', 'trigger', 'outcome', 'detail'])}\n${os.length} retried`,
  );
  return outcomes.some((o) => o.outcome === 'still-failing') ? 1 : 0;
};

/** `casestream outbox status|flush`: notifications stored but not yet acknowledged by Kafka. */
export const outboxCommand = async (ctx: CliContext, args: ParsedArgs, out: Output): Promise<number> => {
  const action = args.words[1];
  if (action === 'status') {
    const { db } = await ctx.mongo();
    const [pending, notifications, oldest] = await Promise.all([
      outboxCollection(db).countDocuments(),
      eventsCollection(db).countDocuments({ event_type: 'NotificationRequired' }),
      outboxCollection(db).find({}, { projection: { pending_since: 1 } }).sort({ pending_since: 1 }).limit(1).toArray(),
    ]);
    const published = notifications - pending;
    const since = oldest[0]?.pending_since ?? null;
    const status = { pending, published, oldest_pending_since: since };
    show(out, status, (s) => table([{ ...s }], ['pending', 'published', 'oldest_pending_since']));
    return 0;
  }
  if (action === 'flush') {
    const { eventStore, notifications } = await publishing(ctx);
    const report = await lastValueFrom(
      outboxRelay({ pendingNotifications: (limit, before) => eventStore.pendingNotifications(limit, before) }, notifications, {
        intervalMs: 1000,
        batchSize: positiveIntOption(args, 'batch', ctx.settings.OUTBOX_BATCH),
        graceMs: 0,
      }).pipe(take(1)),
    );
    show(out, report.kind === 'relayed' ? { published: report.published } : { published: report.published, error: String(report.error) }, (r) =>
      'error' in r ? `published ${r.published}, then failed: ${r.error}` : `published ${r.published} pending notification(s)`,
    );
    return report.kind === 'relayed' ? 0 : 1;
  }
  throw new UsageError('outbox needs: status | flush [--batch N]');
};
