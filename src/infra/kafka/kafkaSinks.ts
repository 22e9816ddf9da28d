import { concatMap, forkJoin, type Observable } from 'rxjs';
import { Partitioners, type IHeaders, type Kafka, type Message, type Producer } from 'kafkajs';
import { toWireJson, type NotificationRequired } from '../../domain/events.js';
import type { Rejection } from '../../domain/rejection.js';
import type { DeadLetterSink, NotificationPublisher } from '../../streams/ports.js';
import type { InboundRecord } from '../../streams/records.js';
import { createMicroBatcher } from '../microBatcher.js';

export interface KafkaSinkOptions {
  readonly notificationTopic: string;
  readonly deadLetterTopic: string;
  readonly maxBatch: number;
  /** Records the broker's acknowledgement of notifications (removes them from the outbox). */
  readonly markPublished: (event_ids: readonly string[]) => Observable<void>;
}

/** A producer that waits for every in-sync replica, so an acknowledged message survives a broker loss. */
export const createProducer = (kafka: Kafka): Producer =>
  kafka.producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 200 },
  });

/** The headers a dead letter carries besides the original ones. */
export const deadLetterHeaders = (record: InboundRecord, why: Rejection): IHeaders => ({
  ...Object.fromEntries(Object.entries(record.headers).filter(([, v]) => v !== undefined)),
  'x-error-reason': why.reason.replace(/[\r\n]+/g, ' '),
  'x-error-details': JSON.stringify(why.details),
  'x-source-topic': record.topic,
  'x-source-partition': String(record.partition),
  'x-source-offset': record.offset,
});

export const notificationMessage = (e: NotificationRequired): Message => ({
  key: e.aggregate_id,
  value: toWireJson(e),
  headers: { 'event-id': e.event_id, 'event-type': e.event_type },
});

/**
 * Notifications and dead letters go out through one producer, each batched across the case
 * actors that publish at the same moment (one `sendBatch` per batch, acks from all replicas).
 */
export const createKafkaSinks = (
  producer: Producer,
  options: KafkaSinkOptions,
): { notifications: NotificationPublisher; deadLetters: DeadLetterSink } => {
  const send = (topic: string) =>
    createMicroBatcher<Message, void>({
      maxBatch: options.maxBatch,
      run: async (messages) => {
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
        return messages.map(() => undefined);
      },
    });
  const sendNotification = send(options.notificationTopic);
  const sendDeadLetter = send(options.deadLetterTopic);

  return {
    notifications: {
      publish: (events) =>
        forkJoin(events.map((e) => sendNotification(notificationMessage(e)))).pipe(
          concatMap(() => options.markPublished(events.map((e) => e.event_id))),
        ),
    },
    deadLetters: {
      send: (record, why) =>
        sendDeadLetter({ key: record.key, value: record.value, headers: deadLetterHeaders(record, why) }),
    },
  };
};
