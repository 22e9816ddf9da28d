import type { Consumer } from 'kafkajs';
import { defer, tap } from 'rxjs';
import type { ConfigServiceClient } from '../rules/configServiceClient.js';
import type { DeadLetterSink, EventStore, NotificationOutbox, NotificationPublisher } from '../../streams/ports.js';
import type { InboundRecord, RecordPosition } from '../../streams/records.js';
import type { CasestreamMetrics } from './casestreamMetrics.js';

/**
 * Decorators and trackers that feed casestream's metrics from the outside of the pipeline, so the
 * pipeline itself knows nothing about metrics.
 */

const seconds = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;

/** `f` at the first of: a value, completion (a port may complete without a value, or be cut after its first value). */
const onDone = <T>(f: () => void) => {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    f();
  };
  return tap<T>({ next: once, complete: once });
};

/**
 * Times every append (subscription to its result or error) into `appendLatency`, and counts the
 * stored events read back for a redelivery into `eventsReprojected`; other members are kept.
 */
export const instrumentEventStore = <S extends EventStore>(
  store: S,
  metrics: Pick<CasestreamMetrics, 'appendLatency' | 'eventsReprojected'>,
): S => ({
  ...store,
  eventsAt: (aggregate_id, first, last) =>
    store.eventsAt(aggregate_id, first, last).pipe(tap((events) => metrics.eventsReprojected.inc(events.length))),
  append: (events, state) =>
    defer(() => {
      const start = process.hrtime.bigint();
      let observed = false;
      const observe = () => {
        if (observed) return;
        observed = true;
        metrics.appendLatency.observe(seconds(start));
      };
      return store.append(events, state).pipe(tap({ next: observe, complete: observe, error: observe }));
    }),
});

/** Counts the notifications a publish call got acknowledged (its emission or completion). */
export const instrumentNotifications = <P extends NotificationPublisher>(
  publisher: P,
  metrics: Pick<CasestreamMetrics, 'notificationsPublished'>,
): P => ({
  ...publisher,
  publish: (events) => defer(() => publisher.publish(events).pipe(onDone(() => metrics.notificationsPublished.inc(events.length)))),
});

/** Counts the notifications a requeue call put back in the outbox (its emission or completion). */
export const instrumentOutbox = <O extends NotificationOutbox>(
  outbox: O,
  metrics: Pick<CasestreamMetrics, 'notificationsRequeued'>,
): O => ({
  ...outbox,
  requeue: (notifications) =>
    defer(() => outbox.requeue(notifications).pipe(onDone(() => metrics.notificationsRequeued.inc(notifications.length)))),
});

/** Counts dead letters sent (the send's emission or completion), by the record's topic. */
export const instrumentDeadLetters = <D extends DeadLetterSink>(sink: D, metrics: Pick<CasestreamMetrics, 'deadLetters'>): D => ({
  ...sink,
  send: (record, why) => defer(() => sink.send(record, why).pipe(onDone(() => metrics.deadLetters.inc({ topic: record.topic })))),
});

/**
 * The four decorators at once on an object holding the ports (PipelinePorts, or the Kafka sinks):
 * `eventStore`, `notifications`, `outbox` and `deadLetters` are replaced when present, the rest is kept.
 */
export const instrumentPorts = <
  P extends {
    readonly eventStore?: EventStore;
    readonly notifications?: NotificationPublisher;
    readonly outbox?: NotificationOutbox;
    readonly deadLetters?: DeadLetterSink;
  },
>(
  ports: P,
  metrics: Pick<
    CasestreamMetrics,
    'appendLatency' | 'eventsReprojected' | 'notificationsPublished' | 'notificationsRequeued' | 'deadLetters'
  >,
): P => ({
  ...ports,
  ...(ports.eventStore === undefined ? {} : { eventStore: instrumentEventStore(ports.eventStore, metrics) }),
  ...(ports.notifications === undefined ? {} : { notifications: instrumentNotifications(ports.notifications, metrics) }),
  ...(ports.outbox === undefined ? {} : { outbox: instrumentOutbox(ports.outbox, metrics) }),
  ...(ports.deadLetters === undefined ? {} : { deadLetters: instrumentDeadLetters(ports.deadLetters, metrics) }),
});

/** A Configuration Service client whose every call is timed into `configServiceLatency{result}`. */
export const timedConfigServiceClient = (
  client: ConfigServiceClient,
  metrics: Pick<CasestreamMetrics, 'configServiceLatency'>,
): ConfigServiceClient => ({
  matchRule: async (trigger, context) => {
    const start = process.hrtime.bigint();
    const result = await client.matchRule(trigger, context);
    metrics.configServiceLatency.observe({ result: result.kind === 'answered' ? 'ok' : result.failure }, seconds(start));
    return result;
  },
});

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

export interface ConsumerLagTracker {
  /** The last lag seen per assigned partition. */
  snapshot(): PartitionLag[];
  stop(): void;
}

/**
 * Consumer lag from kafkajs' instrumentation events: after each batch, the partition's high
 * watermark minus one minus the batch's last offset (`offsetLag`). A rebalance (group join) drops
 * partitions no longer assigned. The value is as of the last batch fetched: a partition whose
 * fetches have stalled (no credits) keeps its last value until its next batch.
 */
export const createConsumerLagTracker = (consumer: Pick<Consumer, 'on' | 'events'>): ConsumerLagTracker => {
  const lags = new Map<string, PartitionLag>();
  const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const removers = [
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const lag = Number(e.payload.offsetLag);
      if (!Number.isFinite(lag)) return;
      const { topic, partition } = e.payload;
      lags.set(keyOf(topic, partition), { topic, partition, lag: Math.max(0, lag) });
    }),
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = new Set<string>();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment ?? {})) {
        for (const p of partitions ?? []) assigned.add(keyOf(topic, p));
      }
      for (const key of [...lags.keys()]) if (!assigned.has(key)) lags.delete(key);
    }),
  ];
  return {
    snapshot: () => [...lags.values()],
    stop: () => removers.forEach((remove) => remove()),
  };
};

export interface EndToEndTracker {
  /** A record entered the pipeline (call from a `tap` on the record source). */
  received(record: Pick<InboundRecord, 'topic' | 'partition' | 'offset' | 'timestamp'>): void;
  /** Its completion: observes the seconds since the record's Kafka timestamp. */
  completed(position: RecordPosition): void;
}

/**
 * Measures Kafka record timestamp → completion into `endToEndLatency`. Remembers at most `maxTracked`
 * records (oldest forgotten first), so completions that never come (a revoked partition) cannot grow it.
 */
export const createEndToEndTracker = (
  metrics: Pick<CasestreamMetrics, 'endToEndLatency'>,
  options: { readonly now?: () => number; readonly maxTracked?: number } = {},
): EndToEndTracker => {
  const now = options.now ?? Date.now;
  const maxTracked = options.maxTracked ?? 100_000;
  const started = new Map<string, number>();
  const keyOf = (p: RecordPosition) => `${p.topic}\u0000${p.partition}\u0000${p.offset}`;
  return {
    received: (record) => {
      const ts = Number(record.timestamp);
      if (!Number.isFinite(ts)) return;
      if (started.size >= maxTracked) {
        const oldest = started.keys().next();
        if (!oldest.done) started.delete(oldest.value);
      }
      started.set(keyOf(record), ts);
    },
    completed: (position) => {
      const key = keyOf(position);
      const ts = started.get(key);
      if (ts === undefined) return;
      started.delete(key);
      metrics.endToEndLatency.observe(Math.max(0, (now() - ts) / 1000));
    },
  };
};

export interface PolledValue {
  /** The last value fetched, undefined until the first fetch succeeds or after a failed one. */
  current(): number | undefined;
  stop(): void;
}

/**
 * Fetches a number in the background every `intervalMs` (at once, then after each fetch settles), for
 * gauges too expensive to compute during a scrape (counting documents on FerretDB scans a collection).
 */
export const pollValue = (
  fetch: () => Promise<number>,
  intervalMs: number,
  onError: (error: unknown) => void = () => undefined,
): PolledValue => {
  let value: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const round = async (): Promise<void> => {
    try {
      value = await fetch();
    } catch (error) {
      value = undefined;
      onError(error);
    }
    if (!stopped) {
      timer = setTimeout(() => void round(), intervalMs);
      timer.unref();
    }
  };
  void round();
  return {
    current: () => value,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
};
