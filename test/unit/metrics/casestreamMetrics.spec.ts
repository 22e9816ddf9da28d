import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, of, throwError } from 'rxjs';
import sinon from 'sinon';
import { emptyCase, type CaseState } from '../../../src/domain/caseState.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import { casestreamMetrics, type CasestreamMetricSources } from '../../../src/infra/metrics/casestreamMetrics.js';
import {
  createConsumerLagTracker,
  createEndToEndTracker,
  instrumentEventStore,
  instrumentPorts,
  pollValue,
  timedConfigServiceClient,
} from '../../../src/infra/metrics/instrument.js';
import { Registry } from '../../../src/infra/metrics/registry.js';
import type { RuleLookupStats } from '../../../src/infra/rules/cachedRuleLookup.js';
import type { DeadLetterSink, EventStore, NotificationOutbox, NotificationPublisher } from '../../../src/streams/ports.js';
import type { InboundRecord } from '../../../src/streams/records.js';

const stats: RuleLookupStats = {
  hits: 10,
  misses: 3,
  stale_served: 1,
  errors: 2,
  http_calls: 4,
  http_errors: 1,
  redis_errors: 5,
  short_circuited: 6,
  corrupt_entries: 7,
};

/** The sample lines of a rendering (no HELP/TYPE). */
const samples = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('casestreamMetrics', () => {
  it('declares every metric with the casestream_ prefix, a HELP and a TYPE line', () => {
    const r = new Registry();
    casestreamMetrics(r);
    const text = r.render();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(types).to.deep.equal([
      'casestream_messages_consumed_total counter',
      'casestream_messages_processed_total counter',
      'casestream_messages_rejected_total counter',
      'casestream_idempotency_key_reused_total counter',
      'casestream_consumer_lag gauge',
      'casestream_messages_in_flight gauge',
      'casestream_bytes_in_flight gauge',
      'casestream_partition_stalls_total counter',
      'casestream_partitions_stalled gauge',
      'casestream_kafka_consumer_crashes_total counter',
      'casestream_case_actors_active gauge',
      'casestream_event_append_duration_seconds histogram',
      'casestream_end_to_end_latency_seconds histogram',
      'casestream_config_service_request_duration_seconds histogram',
      'casestream_notifications_published_total counter',
      'casestream_notifications_requeued_total counter',
      'casestream_redelivered_events_reprojected_total counter',
      'casestream_notifications_outbox_pending gauge',
      'casestream_dead_letters_total counter',
      'casestream_dead_letters_value_omitted_total counter',
      'casestream_retention_deleted_total counter',
      'casestream_retention_sweep_failures_total counter',
      'casestream_rule_cache_hits_total counter',
      'casestream_rule_cache_misses_total counter',
      'casestream_rule_cache_stale_served_total counter',
      'casestream_rule_lookup_errors_total counter',
      'casestream_config_service_requests_total counter',
      'casestream_config_service_errors_total counter',
      'casestream_rule_cache_redis_errors_total counter',
      'casestream_config_service_short_circuited_total counter',
      'casestream_rule_cache_corrupt_entries_total counter',
    ]);
    expect(text.match(/^# HELP /gm)).to.have.length(types.length);
  });

  it('reads the sources at every scrape, including sources assigned after creation', () => {
    const r = new Registry();
    const sources: CasestreamMetricSources = {};
    const m = casestreamMetrics(r, sources);
    m.messagesProcessed.inc({ topic: 'kyc', partition: 2 });
    m.activeCaseActors.set(3);
    m.notificationsPublished.inc(2);
    m.deadLetters.inc({ topic: 'kyc' });
    expect(samples(r.render())).to.include.members([
      'casestream_messages_processed_total{topic="kyc",partition="2"} 1',
      'casestream_case_actors_active 3',
      'casestream_notifications_published_total 2',
      'casestream_dead_letters_total{topic="kyc"} 1',
    ]);
    expect(r.render()).not.to.match(/^casestream_rule_cache_hits_total /m);

    sources.ruleStats = () => stats;
    sources.consumerLag = () => [{ topic: 'kyc', partition: 0, lag: 12 }];
    sources.outboxPending = () => 4;
    const text = r.render();
    expect(samples(text)).to.include.members([
      'casestream_consumer_lag{topic="kyc",partition="0"} 12',
      'casestream_notifications_outbox_pending 4',
      'casestream_rule_cache_hits_total 10',
      'casestream_rule_cache_misses_total 3',
      'casestream_rule_cache_stale_served_total 1',
      'casestream_rule_lookup_errors_total 2',
      'casestream_config_service_requests_total 4',
      'casestream_config_service_errors_total 1',
      'casestream_rule_cache_redis_errors_total 5',
      'casestream_config_service_short_circuited_total 6',
      'casestream_rule_cache_corrupt_entries_total 7',
    ]);
  });

  it('collects in-flight messages from its source, nothing while there is none', () => {
    const r = new Registry();
    const sources: CasestreamMetricSources = {};
    casestreamMetrics(r, sources);
    expect(r.render()).not.to.match(/^casestream_messages_in_flight /m);
    sources.messagesInFlight = () => 9;
    expect(samples(r.render())).to.include('casestream_messages_in_flight 9');
  });

  it('shows bytes in flight, stalled partitions and consumer crashes, for alerts on a stuck or dead consumer', () => {
    const r = new Registry();
    const m = casestreamMetrics(r, { bytesInFlight: () => 4096, partitionsStalled: () => 1 });
    m.partitionStalls.inc({ topic: 'kyc', partition: 3 });
    m.consumerCrashes.inc({ restart: 'false' });
    expect(samples(r.render())).to.include.members([
      'casestream_bytes_in_flight 4096',
      'casestream_partitions_stalled 1',
      'casestream_partition_stalls_total{topic="kyc",partition="3"} 1',
      'casestream_kafka_consumer_crashes_total{restart="false"} 1',
    ]);
  });
});

describe('metric instruments', () => {
  const metrics = () => casestreamMetrics(new Registry());

  it('instrumentPorts times appends, counts acknowledged notifications and dead letters, keeps other members', async () => {
    const m = metrics();
    const store: EventStore & { extra: () => string } = {
      append: () => of({ kind: 'appended', duplicates: 0 } as const),
      load: (case_id) => of(emptyCase(case_id)),
      eventsAt: () => of([]),
      extra: () => 'kept',
    };
    const notifications: NotificationPublisher = { publish: () => of(undefined) };
    const failing: NotificationPublisher = { publish: () => throwError(() => new Error('kafka down')) };
    const deadLetters: DeadLetterSink = { send: () => of(undefined) };
    const ports = instrumentPorts({ eventStore: store, notifications, deadLetters, other: 1 }, m);
    expect(ports.other).to.equal(1);
    expect(ports.eventStore.extra()).to.equal('kept');
    await firstValueFrom(ports.eventStore.append([]));
    await firstValueFrom(ports.eventStore.append([]));
    expect(m.appendLatency.snapshot().count).to.equal(2);
    await lastValueFrom(ports.notifications.publish([{} as never, {} as never]), { defaultValue: undefined });
    expect(m.notificationsPublished.get()).to.equal(2);
    await lastValueFrom(instrumentPorts({ notifications: failing }, m).notifications.publish([{} as never])).catch(() => undefined);
    expect(m.notificationsPublished.get()).to.equal(2);
    await lastValueFrom(ports.deadLetters.send({ topic: 'kyc' } as InboundRecord, { reason: 'x', details: [] }), {
      defaultValue: undefined,
    });
    expect(m.deadLetters.get({ topic: 'kyc' })).to.equal(1);
  });

  it('instrumentPorts counts the notifications a re-queue put back in the outbox, none when it failed', async () => {
    const r = new Registry();
    const m = casestreamMetrics(r);
    const outbox: NotificationOutbox = { requeue: () => of(undefined) };
    const failing: NotificationOutbox = { requeue: () => throwError(() => new Error('mongo down')) };
    const position = { event_id: 'n-1', aggregate_id: 'case-1', version: 5 };

    await lastValueFrom(instrumentPorts({ outbox }, m).outbox.requeue([position, { ...position, event_id: 'n-2' }]), {
      defaultValue: undefined,
    });
    await lastValueFrom(instrumentPorts({ outbox: failing }, m).outbox.requeue([position])).catch(() => undefined);

    expect(m.notificationsRequeued.get()).to.equal(2);
    expect(samples(r.render())).to.include('casestream_notifications_requeued_total 2');
  });

  it('instrumentPorts counts the stored events a redelivery read back to project them again', async () => {
    const r = new Registry();
    const m = casestreamMetrics(r);
    const stored = [{} as DomainEvent, {} as DomainEvent, {} as DomainEvent];
    const store: EventStore = {
      append: () => of({ kind: 'appended', duplicates: 0 } as const),
      load: (case_id) => of(emptyCase(case_id)),
      eventsAt: (_aggregate_id, first, last) => of(stored.slice(first - 1, last)),
    };
    const ports = instrumentPorts({ eventStore: store }, m);

    await firstValueFrom(ports.eventStore.eventsAt('case-1', 2, 3));
    await firstValueFrom(ports.eventStore.eventsAt('company-1', 1));

    expect(m.eventsReprojected.get()).to.equal(5);
    expect(samples(r.render())).to.include('casestream_redelivered_events_reprojected_total 5');
  });

  it('instrumentEventStore hands the case state an append carries on to the store', async () => {
    const given: (CaseState | undefined)[] = [];
    const store: EventStore = {
      append: (_events, state) => (given.push(state), of({ kind: 'appended', duplicates: 0 } as const)),
      load: (case_id) => of(emptyCase(case_id)),
      eventsAt: () => of([]),
    };
    const state = emptyCase('case-1');

    await firstValueFrom(instrumentEventStore(store, metrics()).append([], state));

    expect(given).to.deep.equal([state]);
  });

  it('timedConfigServiceClient observes each call by result', async () => {
    const m = metrics();
    const answers = [
      { kind: 'answered' as const, rule: null, skipped: [] },
      { kind: 'failed' as const, failure: 'timeout' as const, reason: 'slow' },
    ];
    const client = timedConfigServiceClient({ matchRule: async () => answers.shift()! }, m);
    expect((await client.matchRule('T', {})).kind).to.equal('answered');
    expect((await client.matchRule('T', {})).kind).to.equal('failed');
    expect(m.configServiceLatency.snapshot({ result: 'ok' }).count).to.equal(1);
    expect(m.configServiceLatency.snapshot({ result: 'timeout' }).count).to.equal(1);
  });

  it('the consumer lag tracker keeps the last lag per partition and forgets unassigned partitions', () => {
    const listeners = new Map<string, (e: unknown) => void>();
    const consumer = {
      events: { END_BATCH_PROCESS: 'end', GROUP_JOIN: 'join' },
      on: (name: string, f: (e: unknown) => void) => {
        listeners.set(name, f);
        return () => listeners.delete(name);
      },
    };
    const tracker = createConsumerLagTracker(consumer as never);
    listeners.get('end')!({ payload: { topic: 't', partition: 0, offsetLag: '7' } });
    listeners.get('end')!({ payload: { topic: 't', partition: 1, offsetLag: '3' } });
    listeners.get('end')!({ payload: { topic: 't', partition: 0, offsetLag: '2' } });
    expect(tracker.snapshot()).to.deep.equal([
      { topic: 't', partition: 0, lag: 2 },
      { topic: 't', partition: 1, lag: 3 },
    ]);
    listeners.get('join')!({ payload: { memberAssignment: { t: [1] } } });
    expect(tracker.snapshot()).to.deep.equal([{ topic: 't', partition: 1, lag: 3 }]);
    tracker.stop();
    expect(listeners.size).to.equal(0);
  });

  it('the end-to-end tracker observes record timestamp to completion, once', () => {
    const m = metrics();
    const tracker = createEndToEndTracker(m, { now: () => 10_500 });
    tracker.received({ topic: 't', partition: 0, offset: '5', timestamp: '10000' });
    tracker.completed({ topic: 't', partition: 0, offset: '5' });
    tracker.completed({ topic: 't', partition: 0, offset: '5' });
    tracker.completed({ topic: 't', partition: 0, offset: '6' });
    expect(m.endToEndLatency.snapshot()).to.include({ count: 1, sum: 0.5 });
  });

  it('the end-to-end tracker forgets the oldest records beyond maxTracked', () => {
    const m = metrics();
    const tracker = createEndToEndTracker(m, { now: () => 2000, maxTracked: 2 });
    for (const offset of ['1', '2', '3']) tracker.received({ topic: 't', partition: 0, offset, timestamp: '1000' });
    for (const offset of ['1', '2', '3']) tracker.completed({ topic: 't', partition: 0, offset });
    expect(m.endToEndLatency.snapshot().count).to.equal(2);
  });

  it('pollValue fetches at once and then every interval; a failure clears the value', async () => {
    const clock = sinon.useFakeTimers();
    try {
      const values: (() => Promise<number>)[] = [async () => 3, async () => Promise.reject(new Error('db down')), async () => 5];
      const errors: unknown[] = [];
      const polled = pollValue(
        () => (values.shift() ?? (async () => 0))(),
        1000,
        (e) => errors.push(e),
      );
      await clock.tickAsync(0);
      expect(polled.current()).to.equal(3);
      await clock.tickAsync(1000);
      expect(polled.current()).to.equal(undefined);
      expect(errors).to.have.length(1);
      await clock.tickAsync(1000);
      expect(polled.current()).to.equal(5);
      polled.stop();
      await clock.tickAsync(5000);
      expect(polled.current()).to.equal(5);
    } finally {
      clock.restore();
    }
  });
});
