import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Producer } from 'kafkajs';
import type { CaseCommand } from '../../domain/caseCommand.js';
import { childOfActive, recordFailure } from '../../streams/tracing/tracer.js';
import {
  CASE_ID,
  COMMAND_TYPE,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_MESSAGE_ID,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_SYSTEM,
} from '../../streams/tracing/semconv.js';
import { outboundTraceHeaders } from '../telemetry/outboundHeaders.js';

/** Publishes a case command to KAFKA_COMMAND_TOPIC, keyed by its case id; resolves once the topic acknowledged it. */
export interface CommandPublisher {
  publish(command: CaseCommand): Promise<void>;
}

/**
 * A CommandPublisher on the service's kafkajs producer. The `message-id` header is the command id:
 * it is the message's idempotency key, so publishing the same command twice (a retried send)
 * decides the same events and records nothing twice. Published while a span is active (an API
 * request's), the send has a PRODUCER span of its own and the record carries its `traceparent`,
 * so the command's processing joins the caller's trace.
 */
export const createKafkaCommandPublisher = (producer: Pick<Producer, 'send'>, topic: string): CommandPublisher => ({
  publish: async (command) => {
    const span = childOfActive(`send ${topic}`, SpanKind.PRODUCER);
    span?.setAttributes({
      [MESSAGING_SYSTEM]: 'kafka',
      [MESSAGING_OPERATION_NAME]: 'send',
      [MESSAGING_OPERATION_TYPE]: 'send',
      [MESSAGING_DESTINATION_NAME]: topic,
      [MESSAGING_MESSAGE_ID]: command.command_id,
      [CASE_ID]: command.case_id,
      [COMMAND_TYPE]: command.command_type,
    });
    const traceHeaders = outboundTraceHeaders(span === undefined ? context.active() : trace.setSpan(context.active(), span));
    try {
      await producer.send({
        topic,
        messages: [
          { key: command.case_id, value: JSON.stringify(command), headers: { 'message-id': command.command_id, ...traceHeaders } },
        ],
      });
    } catch (error) {
      if (span !== undefined) recordFailure(span, error);
      throw error;
    } finally {
      span?.end();
    }
  },
});
