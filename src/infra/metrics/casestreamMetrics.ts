import type { RuleLookupStats } from '../rules/cachedRuleLookup.js';
import type { Counter, Gauge, Histogram, Registry } from './registry.js';

/** Values casestream reads at scrape time. Read on every scrape: fields may be assigned after the metrics are created. */
export interface CasestreamMetricSources {
  /** Messages behind the high watermark, per assigned partition (see createConsumerLagTracker). */
  consumerLag?: () => readonly { readonly topic: string; readonly partition: number; readonly lag: number }[];
  /** Messages taken from Kafka and not yet complete (the offset ledger's `inFlight`). */
  messagesInFlight?: () => number;
  /** Bytes of those messages (the byte budget's `inUse`). */
  bytesInFlight?: () => number;
  /** Partitions stalled now (see watchStalls). */
  partitionsStalled?: () => number;
  /** The rule lookup's counters (`CachedRuleLookup.stats`). */
  ruleStats?: () => RuleLookupStats;
  /** Stored notifications not yet acknowledged by the topic; undefined while unknown (see pollValue). */
  outboxPending?: () => number | undefined;
}

export type PartitionLabels = 'topic' | 'partition';

/** The metrics casestream exposes on /metrics; every name starts with `casestream_`. */
export interface CasestreamMetrics {
  /** Records taken from Kafka: `inc({topic, partition})`. */
  readonly messagesConsumed: Counter<PartitionLabels>;
  /** Records whose processing completed without a rejection. */
  readonly messagesProcessed: Counter<PartitionLabels>;
  /** Records rejected (to the dead-letter topic). */
  readonly messagesRejected: Counter<PartitionLabels>;
  /** Of those, records refused because their idempotency key was used before for other content. */
  readonly idempotencyKeysReused: Counter<PartitionLabels>;
  /** Per partition, messages behind the high watermark (collected). */
  readonly consumerLag: Gauge<PartitionLabels>;
  /** Messages between the consumer and their completion (collected from `sources.messagesInFlight`). */
  readonly messagesInFlight: Gauge;
  /** Bytes of those messages (collected from `sources.bytesInFlight`). */
  readonly bytesInFlight: Gauge;
  /** Stalls begun: a partition without progress for PARTITION_STALL_MS, counted once per stall. */
  readonly partitionStalls: Counter<PartitionLabels>;
  /** Partitions stalled now (collected from `sources.partitionsStalled`). */
  readonly partitionsStalled: Gauge;
  /** Kafka consumer crashes, by whether kafkajs restarts the consumer (`restart`: true or false). */
  readonly consumerCrashes: Counter<'restart'>;
  /** Live case actors: `set(n)` from `ActorHooks.onActorsChanged`. */
  readonly activeCaseActors: Gauge;
  /** Seconds per event-store append (a batched insert), observed by instrumentPorts. */
  readonly appendLatency: Histogram;
  /** Seconds from the Kafka record's timestamp to its completion (see createEndToEndTracker). */
  readonly endToEndLatency: Histogram;
  /** Seconds per Configuration Service call, by result (`ok`, `status`, `network`, `timeout`, `malformed`). */
  readonly configServiceLatency: Histogram<'result'>;
  /** NotificationRequired events acknowledged by the notification topic (by the pipeline or the outbox relay). */
  readonly notificationsPublished: Counter;
  /** Stored notifications a redelivered message put back in the outbox, for the relay to publish again. */
  readonly notificationsRequeued: Counter;
  /** Stored events a redelivered message read back to project them again (see reprojectRecorded). */
  readonly eventsReprojected: Counter;
  /** Stored notifications waiting in the outbox (collected). */
  readonly outboxPending: Gauge;
  /** Messages published to the dead-letter topic, by source topic. */
  readonly deadLetters: Counter<'topic'>;
  /** Dead letters sent without their value because the broker would refuse them whole, by source topic. */
  readonly deadLettersValueOmitted: Counter<'topic'>;
  /** Expired records deleted by the retention sweep, by collection (TTL indexes delete theirs unseen). */
  readonly retentionDeleted: Counter<'collection'>;
  /** Retention sweep batches that failed, by collection (the next pass tries again). */
  readonly retentionSweepFailures: Counter<'collection'>;
  /** Rule-lookup counters, read from `ruleStats` at scrape time. */
  readonly ruleCache: {
    readonly hits: Counter;
    readonly misses: Counter;
    readonly staleServed: Counter;
    readonly lookupErrors: Counter;
    readonly configServiceCalls: Counter;
    readonly configServiceErrors: Counter;
    readonly redisErrors: Counter;
    readonly shortCircuited: Counter;
    readonly corruptEntries: Counter;
  };
}

/** Latency buckets, seconds. */
export const APPEND_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const END_TO_END_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
export const CONFIG_SERVICE_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const partitionLabels: readonly PartitionLabels[] = ['topic', 'partition'];

/**
 * Declares casestream's metrics on `registry`. Counters and histograms are changed by the service
 * (`metrics.messagesProcessed.inc({topic, partition})`, `metrics.appendLatency.observe(seconds)`);
 * the gauges and the rule-cache counters named in `sources` are computed at every scrape.
 */
export const casestreamMetrics = (registry: Registry, sources: CasestreamMetricSources = {}): CasestreamMetrics => {
  const stat = (key: keyof RuleLookupStats) => (): number | undefined => sources.ruleStats?.()[key];
  const statCounter = (name: string, help: string, key: keyof RuleLookupStats) => registry.counter({ name, help, collect: stat(key) });

  return {
    messagesConsumed: registry.counter({
      name: 'casestream_messages_consumed_total',
      help: 'Kafka records taken by the consumer (client data and case commands).',
      labelNames: partitionLabels,
    }),
    messagesProcessed: registry.counter({
      name: 'casestream_messages_processed_total',
      help: 'Kafka records whose processing completed without a rejection.',
      labelNames: partitionLabels,
    }),
    messagesRejected: registry.counter({
      name: 'casestream_messages_rejected_total',
      help: 'Kafka records rejected to the dead-letter topic.',
      labelNames: partitionLabels,
    }),
    idempotencyKeysReused: registry.counter({
      name: 'casestream_idempotency_key_reused_total',
      help: 'Kafka records rejected because their message-id was used before for different content.',
      labelNames: partitionLabels,
    }),
    consumerLag: registry.gauge({
      name: 'casestream_consumer_lag',
      help: 'Messages behind the high watermark per assigned partition, as of the last batch fetched.',
      labelNames: partitionLabels,
      collect: () => sources.consumerLag?.().map((p) => ({ labels: { topic: p.topic, partition: p.partition }, value: p.lag })),
    }),
    messagesInFlight: registry.gauge({
      name: 'casestream_messages_in_flight',
      help: 'Messages taken from Kafka and not yet complete.',
      collect: () => sources.messagesInFlight?.(),
    }),
    bytesInFlight: registry.gauge({
      name: 'casestream_bytes_in_flight',
      help: 'Bytes (key, value, headers) of the messages taken from Kafka and not yet complete.',
      collect: () => sources.bytesInFlight?.(),
    }),
    partitionStalls: registry.counter({
      name: 'casestream_partition_stalls_total',
      help: 'Times a partition made no progress for PARTITION_STALL_MS with messages in flight (counted once per stall).',
      labelNames: partitionLabels,
    }),
    partitionsStalled: registry.gauge({
      name: 'casestream_partitions_stalled',
      help: 'Partitions currently without progress for PARTITION_STALL_MS.',
      collect: () => sources.partitionsStalled?.(),
    }),
    consumerCrashes: registry.counter({
      name: 'casestream_kafka_consumer_crashes_total',
      help: 'Kafka consumer crashes, by whether kafkajs restarts the consumer; restart="false" means it is dead and /health/live fails.',
      labelNames: ['restart'],
    }),
    activeCaseActors: registry.gauge({
      name: 'casestream_case_actors_active',
      help: 'Case actors currently alive (holding work or idle but not yet released).',
    }),
    appendLatency: registry.histogram({
      name: 'casestream_event_append_duration_seconds',
      help: 'Time to append one decision to the event store (a batched insert), in seconds.',
      buckets: APPEND_BUCKETS,
    }),
    endToEndLatency: registry.histogram({
      name: 'casestream_end_to_end_latency_seconds',
      help: 'Time from a Kafka record timestamp to the completion of its processing, in seconds.',
      buckets: END_TO_END_BUCKETS,
    }),
    configServiceLatency: registry.histogram({
      name: 'casestream_config_service_request_duration_seconds',
      help: 'Configuration Service rule-match calls, in seconds, by result.',
      labelNames: ['result'],
      buckets: CONFIG_SERVICE_BUCKETS,
    }),
    notificationsPublished: registry.counter({
      name: 'casestream_notifications_published_total',
      help: 'NotificationRequired events acknowledged by the notification topic.',
    }),
    notificationsRequeued: registry.counter({
      name: 'casestream_notifications_requeued_total',
      help: 'Stored NotificationRequired events a redelivered message put back in the outbox.',
    }),
    eventsReprojected: registry.counter({
      name: 'casestream_redelivered_events_reprojected_total',
      help: 'Stored events a redelivered message read back to project them again.',
    }),
    outboxPending: registry.gauge({
      name: 'casestream_notifications_outbox_pending',
      help: 'Stored NotificationRequired events not yet acknowledged by the notification topic.',
      collect: () => sources.outboxPending?.(),
    }),
    deadLetters: registry.counter({
      name: 'casestream_dead_letters_total',
      help: 'Messages published to the dead-letter topic, by source topic.',
      labelNames: ['topic'],
    }),
    deadLettersValueOmitted: registry.counter({
      name: 'casestream_dead_letters_value_omitted_total',
      help: 'Dead letters published without the original value (too large for the broker), by source topic.',
      labelNames: ['topic'],
    }),
    retentionDeleted: registry.counter({
      name: 'casestream_retention_deleted_total',
      help: 'Records past their retention period deleted by the retention sweep, by collection.',
      labelNames: ['collection'],
    }),
    retentionSweepFailures: registry.counter({
      name: 'casestream_retention_sweep_failures_total',
      help: 'Retention sweep batches that failed, by collection; the next pass tries again.',
      labelNames: ['collection'],
    }),
    ruleCache: {
      hits: statCounter('casestream_rule_cache_hits_total', 'Rule lookups answered from a fresh cache entry.', 'hits'),
      misses: statCounter('casestream_rule_cache_misses_total', 'Rule lookups that found no fresh cache entry.', 'misses'),
      staleServed: statCounter(
        'casestream_rule_cache_stale_served_total',
        'Rule lookups answered from an expired entry because the Configuration Service failed.',
        'stale_served',
      ),
      lookupErrors: statCounter(
        'casestream_rule_lookup_errors_total',
        'Rule lookups answered "unavailable" (no rule could be had).',
        'errors',
      ),
      configServiceCalls: statCounter(
        'casestream_config_service_requests_total',
        'HTTP calls made to the Configuration Service.',
        'http_calls',
      ),
      configServiceErrors: statCounter(
        'casestream_config_service_errors_total',
        'Configuration Service calls that failed (non-2xx, network, timeout, unparsable answer).',
        'http_errors',
      ),
      redisErrors: statCounter(
        'casestream_rule_cache_redis_errors_total',
        'Redis reads or writes of the rule cache that failed.',
        'redis_errors',
      ),
      shortCircuited: statCounter(
        'casestream_config_service_short_circuited_total',
        'Configuration Service calls not made because the circuit breaker was open.',
        'short_circuited',
      ),
      corruptEntries: statCounter(
        'casestream_rule_cache_corrupt_entries_total',
        'Rule cache values in Redis that did not decode.',
        'corrupt_entries',
      ),
    },
  };
};
