import { defer } from 'rxjs';
import type { TopicConfigs } from './infra/kafka/ensureTopics.js';
import type { Logger } from './infra/logger.js';
import type { CasestreamMetrics } from './infra/metrics/casestreamMetrics.js';
import type { MongoConnection } from './infra/mongo/connect.js';
import { deleteExpired, prepareExpiry, retentionTargets } from './infra/mongo/retention.js';
import type { RetentionSettings } from './infra/settings.js';
import { retentionSweep } from './streams/retentionSweep.js';

export interface RunningRetention {
  /** Stops the sweep (a batch under way finishes on the server). */
  stop(): void;
}

/**
 * Retention for the service: at startup, TTL indexes where the server has them; for the other
 * collections the sweep, every RETENTION_SWEEP_INTERVAL, counted in
 * casestream_retention_deleted_total and logged when it deletes or fails.
 */
export const startRetention = async (
  connection: Pick<MongoConnection, 'db' | 'accommodations'>,
  settings: RetentionSettings,
  metrics: Pick<CasestreamMetrics, 'retentionDeleted' | 'retentionSweepFailures'>,
  logger: Logger,
): Promise<RunningRetention> => {
  const expiries = await prepareExpiry(connection.db, connection.accommodations, retentionTargets(settings));
  logger.info(
    { expiry: expiries.map((e) => ({ collection: e.target.collection, by: e.by, ...(e.by === 'sweep' ? { because: e.because } : {}) })) },
    'retention: how expired records are deleted',
  );
  const swept = new Map(expiries.flatMap((e) => (e.by === 'sweep' ? [[e.target.collection, e.target] as const] : [])));
  if (swept.size === 0) return { stop: () => undefined };
  const subscription = retentionSweep(
    { deleteExpired: (t, before, limit) => defer(() => deleteExpired(connection.db, swept.get(t.name)!, before, limit)) },
    [...swept.values()].map((t) => ({ name: t.collection, maxAgeMs: t.maxAgeMs })),
    { intervalMs: settings.sweepIntervalMs, batchSize: settings.sweepBatch },
  ).subscribe((report) => {
    if (report.kind === 'failed') {
      metrics.retentionSweepFailures.inc({ collection: report.target });
      logger.warn({ collection: report.target, error: String(report.error) }, 'retention sweep failed; retrying next pass');
    } else if (report.deleted > 0) {
      metrics.retentionDeleted.inc({ collection: report.target }, report.deleted);
      logger.info({ collection: report.target, deleted: report.deleted }, 'retention sweep deleted expired records');
    }
  });
  return { stop: () => subscription.unsubscribe() };
};

/** The configs casestream creates its topics with: the dead-letter topic's retention.ms (-1: forever); the others take the broker's. */
export const topicConfigs = (deadLetterTopic: string, settings: Pick<RetentionSettings, 'deadLetterTopicMs'>): TopicConfigs => ({
  [deadLetterTopic]: { 'retention.ms': String(settings.deadLetterTopicMs ?? -1) },
});
