import { SpanKind, type Context } from '@opentelemetry/api';
import { concatMap, forkJoin, type Observable } from 'rxjs';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { idFor } from '../../domain/deterministicId.js';
import { toWireJson, type NotificationRequired } from '../../domain/events.js';
import type { DeadLetterSink, NotificationPublisher } from '../../streams/ports.js';
import { idempotencyKey, type InboundRecord } from '../../streams/records.js';
import { createMicroBatcher } from '../../lib/microBatcher.js';
import { DEFAULT_DECODE_LIMITS } from '../../domain/decodeLimits.js';
import { deadLetterHeaders, headerSetBytes } from './deadLetterHeaders.js';
import { callerContext, tracedBatch, type BatchSpanOptions } from '../telemetry/batchSpan.js';
import { outboundTraceHeaders } from '../telemetry/outboundHeaders.js';
import { subscribedIn } from '../telemetry/subscribedIn.js';
import {
  MESSAGING_BATCH_MESSAGE_COUNT,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_SYSTEM,
} from '../../streams/tracing/semconv.js';

export interface KafkaSinkOptions {
  readonly notificationTopic: string;
  readonly deadLetterTopic: string;
  readonly maxBatch: number;
  /** Records the broker's acknowledgement of notifications (removes them from the outbox). */
  readonly markPublished: (event_ids: readonly string[]) => Observable<void>;
  /** The largest dead letter (key, value and headers) sent whole (MAX_RECORD_BYTES, its default); a larger one goes without its value. */
  readonly maxDeadLetterBytes?: number;
  /** The most bytes a dead letter's headers take (DLQ_MAX_HEADER_BYTES, its default). */
  readonly maxDeadLetterHeaderBytes?: number;
  /** The topic whose JSON-object messages raw_events keeps: a dead letter from it names its raw copy when its value is omitted. */
  readonly rawEventsTopic?: string;
  /** Told of every dead letter sent without its value (to count it and say so). */
  readonly onValueOmitted?: (record: InboundRecord, bytes: number) => void;
}

/** A producer that waits for every in-sync replica, so an acknowledged message survives a broker loss. */
export const createProducer = (kafka: Kafka): Producer =>
  kafka.producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 200 },
  });

/** A notification's record; its `traceparent` is the active span's (the message that decided it), when there is one. */
export const notificationMessage = (e: NotificationRequired): Message => ({
  key: e.aggregate_id,
  value: toWireJson(e),
  headers: { 'event-id': e.event_id, 'event-type': e.event_type, ...outboundTraceHeaders() },
});

/** The span of one `sendBatch` to a topic (messaging conventions), linked to the spans of the messages it carries. */
const sendSpan = <I>(topic: string): BatchSpanOptions<I, void> => ({
  name: `send ${topic}`,
  kind: SpanKind.PRODUCER,
  attributes: (items) => ({
    [MESSAGING_SYSTEM]: 'kafka',
    [MESSAGING_OPERATION_NAME]: 'send',
    [MESSAGING_OPERATION_TYPE]: 'send',
    [MESSAGING_DESTINATION_NAME]: topic,
    [MESSAGING_BATCH_MESSAGE_COUNT]: items.length,
  }),
});

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** Whether the broker refused a send for its size (kafkajs wraps the protocol error in `cause`s): no retry can fix that. */
export const isTooLargeForBroker = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth += 1) {
    if (TOO_LARGE.has(String((e as { type?: unknown }).type))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
};

/** A dead letter, and its stand-in without the value (and without a key that alone is too large). */
interface DeadLetter {
  readonly whole: Message;
  readonly reference: Message;
}

export interface KafkaSinks {
  readonly notifications: NotificationPublisher;
  readonly deadLetters: DeadLetterSink;
}

/**
 * Notifications and dead letters go out through one producer, each batched across the case
 * actors that publish at the same moment (one `sendBatch` per batch, acks from all replicas).
 * With tracing on, each record carries the `traceparent` of the message that sent it, and each
 * batch has a PRODUCER span linked to those messages' spans.
 *
 * A dead letter the broker cannot take because of its size goes without its value instead:
 * `x-original-omitted: too-large`, `x-original-bytes` and, for a client-data message, the
 * `x-raw-event-id` under which raw_events keeps it. That is decided before sending (key, value and
 * headers above `maxDeadLetterBytes`) and again when the broker refuses a batch as too large (each
 * dead letter of the batch is then sent alone), so that retrying can never stall a partition.
 */
export const createKafkaSinks = (producer: Producer, options: KafkaSinkOptions): KafkaSinks => {
  const sendAll = (topic: string, messages: Message[]) => producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
  const sendNotification = createMicroBatcher<Message, void, Context>({
    maxBatch: options.maxBatch,
    tagOf: callerContext,
    run: tracedBatch(sendSpan(options.notificationTopic), async (messages) => {
      await sendAll(options.notificationTopic, messages);
      return messages.map(() => undefined);
    }),
  });

  const maxBytes = options.maxDeadLetterBytes ?? DEFAULT_DECODE_LIMITS.maxRecordBytes;
  const deadLetterOf = (record: InboundRecord, why: Parameters<DeadLetterSink['send']>[1]): DeadLetter => {
    const headers = deadLetterHeaders(record, why, options.maxDeadLetterHeaderBytes, outboundTraceHeaders());
    const valueBytes = record.value?.length ?? 0;
    const keyBytes = record.key?.length ?? 0;
    const referenceHeaders = {
      ...headers,
      'x-original-omitted': 'too-large',
      'x-original-bytes': String(valueBytes),
      ...(record.topic === options.rawEventsTopic ? { 'x-raw-event-id': idFor(idempotencyKey(record), 'raw') } : {}),
    };
    const keyFits = keyBytes + headerSetBytes(referenceHeaders) <= maxBytes;
    return {
      whole: { key: record.key, value: record.value, headers },
      reference: {
        key: keyFits ? record.key : null,
        value: null,
        headers: keyFits ? referenceHeaders : { ...referenceHeaders, 'x-original-key-omitted': 'too-large' },
      },
    };
  };
  const fits = (m: Message): boolean =>
    (m.key?.length ?? 0) + ((m.value as Buffer | null)?.length ?? 0) + headerSetBytes(m.headers ?? {}) <= maxBytes;

  const sendReference = async (letter: DeadLetter & { readonly record: InboundRecord }): Promise<void> => {
    await sendAll(options.deadLetterTopic, [letter.reference]);
    options.onValueOmitted?.(letter.record, letter.record.value?.length ?? 0);
  };
  const sendAlone = async (letter: DeadLetter & { readonly record: InboundRecord }): Promise<void> => {
    try {
      await sendAll(options.deadLetterTopic, [letter.whole]);
    } catch (error) {
      if (!isTooLargeForBroker(error)) throw error;
      await sendReference(letter);
    }
  };
  const sendDeadLetter = createMicroBatcher<DeadLetter & { readonly record: InboundRecord }, void, Context>({
    maxBatch: options.maxBatch,
    tagOf: callerContext,
    run: tracedBatch(sendSpan(options.deadLetterTopic), async (letters) => {
      const whole = letters.filter((l) => fits(l.whole));
      for (const l of letters) if (!fits(l.whole)) await sendReference(l);
      try {
        if (whole.length > 0)
          await sendAll(
            options.deadLetterTopic,
            whole.map((l) => l.whole),
          );
      } catch (error) {
        if (!isTooLargeForBroker(error)) throw error;
        for (const l of whole) await sendAlone(l);
      }
      return letters.map(() => undefined);
    }),
  });

  return {
    notifications: {
      publish: (events) => {
        const caller = callerContext();
        return forkJoin(events.map((e) => sendNotification(notificationMessage(e)))).pipe(
          concatMap(() => subscribedIn(caller, options.markPublished(events.map((e) => e.event_id)))),
        );
      },
    },
    deadLetters: {
      send: (record, why) => sendDeadLetter({ ...deadLetterOf(record, why), record }),
    },
  };
};
