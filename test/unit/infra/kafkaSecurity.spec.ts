import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { kafkaSecurity } from '../../../src/infra/kafka/kafkaSecurity.js';
import { decodeSettings, type Settings } from '../../../src/infra/settings.js';

const settingsOf = (env: Record<string, string>): Settings => {
  const decoded = decodeSettings(env);
  if (E.isLeft(decoded)) throw new Error(decoded.left);
  return decoded.right;
};

describe('kafkaSecurity', () => {
  it('uses neither TLS nor SASL by default', () => {
    expect(kafkaSecurity(settingsOf({}).kafka.security)).to.deep.equal({});
  });

  it('turns on SASL SCRAM with the credentials from the settings', () => {
    const s = settingsOf({
      KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'cs',
      KAFKA_SASL_PASSWORD: 'pw',
    });
    expect(kafkaSecurity(s.kafka.security)).to.deep.equal({ sasl: { mechanism: 'scram-sha-512', username: 'cs', password: 'pw' } });
  });

  it('turns on TLS with the given CA and SASL PLAIN together for SASL_SSL', () => {
    const s = settingsOf({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'cs',
      KAFKA_SASL_PASSWORD: 'pw',
      KAFKA_SSL_CA_FILE: '/etc/ca.pem',
    });
    expect(kafkaSecurity(s.kafka.security, (path) => `PEM from ${path}`)).to.deep.equal({
      ssl: { rejectUnauthorized: true, ca: ['PEM from /etc/ca.pem'] },
      sasl: { mechanism: 'plain', username: 'cs', password: 'pw' },
    });
  });

  it('can skip certificate verification only when told to', () => {
    const s = settingsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' });
    expect(kafkaSecurity(s.kafka.security)).to.deep.equal({ ssl: { rejectUnauthorized: false } });
  });
});

describe('security settings', () => {
  const problems = (env: Record<string, string>) => {
    const decoded = decodeSettings(env);
    return E.isLeft(decoded) ? decoded.left : '';
  };

  it('refuses SASL without credentials, naming both variables', () => {
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).to.contain('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required');
  });

  it('refuses an unknown protocol or mechanism', () => {
    const message = problems({ KAFKA_SECURITY_PROTOCOL: 'TLS', KAFKA_SASL_MECHANISM: 'gssapi' });
    expect(message).to.contain('KAFKA_SECURITY_PROTOCOL must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL');
    expect(message).to.contain('KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512');
  });

  it('refuses a Redis CA file without rediss://', () => {
    expect(problems({ REDIS_TLS_CA_FILE: '/etc/ca.pem' })).to.contain('REDIS_TLS_CA_FILE is set but REDIS_URL is not rediss://');
  });

  it('never echoes a password in its complaints', () => {
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'hunter2', KAFKA_TOPIC_PARTITIONS: 'x' })).to.not.contain(
      'hunter2',
    );
  });
});
