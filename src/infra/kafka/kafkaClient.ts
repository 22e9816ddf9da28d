import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger.js';

export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS and SASL (see kafkaSecurity). */
  readonly security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

const levelName: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go through the service logger (as JSON, at warn and above). */
export const createKafka = (connection: KafkaConnection, logger: Logger): Kafka =>
  new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    ...connection.security,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, ...extra } = log;
        logger[levelName[level] ?? 'info']({ kafka: namespace, broker: extra.broker, error: extra.error }, String(message));
      },
  });
