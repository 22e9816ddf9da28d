// The consumer's fetch bounds against the local Kafka: small fetches still bring records larger than
// them, in order. Requires `npm run stack:up`.
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { pino } from 'pino';
import { createKafkaRecordSource, type KafkaRecordSource } from '../../../src/infra/kafka/kafkaRecordSource.js';
import { Intake } from '../../../src/streams/intake.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { KAFKA_BROKERS, uniqueName, waitFor } from '../../support/stack.js';

const { Kafka, logLevel } = kafkajs;

describe('The Kafka record source with small fetch bounds', function () {
  this.timeout(60_000);

  const kafka = new Kafka({ clientId: 'casestream-fetch-test', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  let admin: Admin;
  let producer: Producer;
  let source: KafkaRecordSource | undefined;
  const topic = uniqueName('fetch-bounds');
  const groupId = uniqueName('fetch-bounds-group');

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await source?.close();
    await producer?.disconnect();
    await admin?.deleteGroups([groupId]).catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('consumes every record in order, those many times larger than a whole fetch included', async () => {
    // 16 KB a fetch and 4 KB a partition; records of 100 bytes and of 200 KB, each sent on its own so each is a batch of its own
    const sizes = [100, 204_800, 100, 100, 204_800, 204_800, 100];
    for (const [i, size] of sizes.entries()) {
      await producer.send({ topic, messages: [{ key: 'k', value: Buffer.alloc(size, 0x61 + i) }] });
    }
    const intake = new Intake({ maxMessages: 100 });
    source = createKafkaRecordSource(kafka, {
      groupId,
      topics: [topic],
      partitionsConsumedConcurrently: 1,
      fetch: { maxBytes: 16_384, maxBytesPerPartition: 4_096 },
      intake,
      logger: pino({ level: 'silent' }),
    });
    const taken: InboundRecord[] = [];
    source.records.subscribe((r) => {
      taken.push(r);
      intake.complete(r);
    });
    await source.start();
    await waitFor(() => taken.length === sizes.length, 30_000, { description: 'every record consumed' });
    expect(taken.map((r) => r.value?.length)).to.deep.equal(sizes);
    expect(taken.map((r) => r.value?.[0])).to.deep.equal(sizes.map((_, i) => 0x61 + i));
  });
});
