import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Settings } from '../settings.js';

type SecuritySettings = Pick<
  Settings,
  | 'KAFKA_SECURITY_PROTOCOL'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_REJECT_UNAUTHORIZED'
>;

/** The TLS and SASL part of the kafkajs configuration, from KAFKA_SECURITY_PROTOCOL and friends. */
export const kafkaSecurity = (s: SecuritySettings, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Pick<KafkaConfig, 'ssl' | 'sasl'> => {
  const tls = s.KAFKA_SECURITY_PROTOCOL === 'SSL' || s.KAFKA_SECURITY_PROTOCOL === 'SASL_SSL';
  const sasl = s.KAFKA_SECURITY_PROTOCOL === 'SASL_PLAINTEXT' || s.KAFKA_SECURITY_PROTOCOL === 'SASL_SSL';
  return {
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: s.KAFKA_SSL_REJECT_UNAUTHORIZED,
            ...(s.KAFKA_SSL_CA_FILE ? { ca: [readFile(s.KAFKA_SSL_CA_FILE)] } : {}),
          },
        }
      : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: s.KAFKA_SASL_MECHANISM,
            username: s.KAFKA_SASL_USERNAME ?? '',
            password: s.KAFKA_SASL_PASSWORD ?? '',
          } as SASLOptions,
        }
      : {}),
  };
};
