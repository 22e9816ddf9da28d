import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSettings } from '../settings.js';

/** The TLS and SASL part of the kafkajs configuration, from KAFKA_SECURITY_PROTOCOL and friends. */
export const kafkaSecurity = (
  s: KafkaSettings['security'],
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Pick<KafkaConfig, 'ssl' | 'sasl'> => {
  const tls = s.protocol === 'SSL' || s.protocol === 'SASL_SSL';
  const sasl = s.protocol === 'SASL_PLAINTEXT' || s.protocol === 'SASL_SSL';
  return {
    ...(tls ? { ssl: { rejectUnauthorized: s.rejectUnauthorized, ...(s.caFile ? { ca: [readFile(s.caFile)] } : {}) } } : {}),
    ...(sasl
      ? { sasl: { mechanism: s.saslMechanism, username: s.saslUsername ?? '', password: s.saslPassword ?? '' } as SASLOptions }
      : {}),
  };
};
