import type { Producer } from 'kafkajs';
import type { CaseCommand } from '../../domain/caseCommand.js';

/** Publishes a case command to KAFKA_COMMAND_TOPIC, keyed by its case id; resolves once the topic acknowledged it. */
export interface CommandPublisher {
  publish(command: CaseCommand): Promise<void>;
}

/**
 * A CommandPublisher on the service's kafkajs producer. The `message-id` header is the command id:
 * it is the message's idempotency key, so publishing the same command twice (a retried send)
 * decides the same events and records nothing twice.
 */
export const createKafkaCommandPublisher = (producer: Pick<Producer, 'send'>, topic: string): CommandPublisher => ({
  publish: async (command) => {
    await producer.send({
      topic,
      messages: [{ key: command.case_id, value: JSON.stringify(command), headers: { 'message-id': command.command_id } }],
    });
  },
});
