import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger.js';
import { kafkaLogLevel } from './kafkaLogLevels.js';
import { stopIdleRequestQueueChecks } from './requestQueueIdleCheck.js';

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS and SASL (see kafkaSecurity). */
  readonly security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

/**
 * A kafkajs client whose own logs (those kafkajs writes at warn and above) go through the service
 * logger, at the level their cause deserves: a broker still settling is not an error (see kafkaLogLevel).
 * Its connections do not spin an idle timer loop (see stopIdleRequestQueueChecks).
 */
export const createKafka = (connection: KafkaConnection, logger: Logger): Kafka => {
  stopIdleRequestQueueChecks();
  return new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    ...connection.security,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator: () => (entry: LogEntry) => {
      const { message, broker, error, retryCount, retryTime } = entry.log;
      logger[kafkaLogLevel(entry)]({ kafka: entry.namespace, broker, error, retryCount, retryTime }, String(message));
    },
  });
};
