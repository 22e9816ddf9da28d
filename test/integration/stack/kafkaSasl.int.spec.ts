import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaSecurity } from '../../../src/infra/kafka/kafkaSecurity.js';
import { decodeSettings } from '../../../src/infra/settings.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

/** The stack's SASL listener (scripts/stack/lib.sh): PLAIN and SCRAM-SHA-256, one user. */
const SASL_BROKER = '127.0.0.1:9094';
const USER = 'casestream';
const PASSWORD = 'casestream-secret';

const saslKafka = (mechanism: string, password: string) => {
  const settings = decodeSettings({
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: password,
  });
  if (E.isLeft(settings)) throw new Error(settings.left);
  return new Kafka({
    clientId: 'sasl-test',
    brokers: [SASL_BROKER],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...kafkaSecurity(settings.right.kafka.security),
  });
};

describe('Kafka with SASL on the real broker', function () {
  this.timeout(90_000);

  it('authenticates with SCRAM-SHA-256 and round-trips a message', async () => {
    const kafka = saslKafka('scram-sha-256', PASSWORD);
    const topic = uniqueName('sasl');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'over SCRAM' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
    await waitFor(() => seen.length > 0, 30_000, { description: 'the message' });
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    expect(seen).to.deep.equal(['over SCRAM']);
  });

  it('is refused with a wrong password', async () => {
    const admin = saslKafka('plain', 'not-the-password').admin();
    let failure: unknown;
    await admin.connect().catch((error: unknown) => (failure = error));
    await admin.disconnect().catch(() => undefined);
    expect(String(failure)).to.match(/SASL|authentication/i);
  });

  it('runs the whole pipeline over SASL PLAIN, and never logs the password', async () => {
    const svc = await new ServiceHarness({
      KAFKA_BOOTSTRAP_SERVERS: SASL_BROKER,
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
      LOG_LEVEL: 'debug',
    }).start();
    try {
      await svc.sendClientData({
        value: { client_id: 'over-sasl', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [] },
      });
      expect(await svc.caseOf('over-sasl')).to.include({ client_id: 'over-sasl' });
      expect(svc.logLines.join('\n')).to.not.contain(PASSWORD);
    } finally {
      await svc.stop();
    }
  });
});
