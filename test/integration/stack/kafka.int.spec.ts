// Infra check: the local Kafka (KRaft, single node) works with kafkajs the way
// the service uses it. Requires `npm run stack:up`.
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { KAFKA_BROKERS, uniqueName, waitFor } from '../../support/stack.js';

const { Kafka, logLevel } = kafkajs;

describe('Local stack: Kafka', function () {
  this.timeout(60_000);

  const kafka = new Kafka({
    clientId: 'casestream-stack-test',
    brokers: [...KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3 },
  });
  let admin: Admin;
  const topicsToDelete: string[] = [];
  const groupsToDelete: string[] = [];

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    if (!admin) return;
    if (groupsToDelete.length > 0) await admin.deleteGroups(groupsToDelete).catch(() => undefined);
    if (topicsToDelete.length > 0) await admin.deleteTopics({ topics: topicsToDelete }).catch(() => undefined);
    await admin.disconnect();
  });

  it('delivers messages produced to a new topic to a consumer group and shows the offsets it committed', async () => {
    const topic = uniqueName('stack-roundtrip');
    const groupId = uniqueName('stack-group');
    topicsToDelete.push(topic);
    groupsToDelete.push(groupId);

    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).to.equal(true);

    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const sent = await producer.send({
        topic,
        acks: -1,
        messages: [
          { key: 'case-1', value: JSON.stringify({ n: 1 }) },
          { key: 'case-1', value: JSON.stringify({ n: 2 }) },
          { key: 'case-2', value: JSON.stringify({ n: 3 }) },
        ],
      });
      expect(sent).to.have.length(1);
      expect(sent[0]?.errorCode).to.equal(0);
    } finally {
      await producer.disconnect();
    }

    // A short fetch long-poll: disconnect() waits for the fetch in flight (5 s by default).
    const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    const received: { key: string; n: number; offset: string }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key?.toString() ?? '',
            n: (JSON.parse(message.value?.toString() ?? 'null') as { n: number }).n,
            offset: message.offset,
          });
        },
      });
      await waitFor(() => received.length >= 3, 30_000, { description: '3 consumed messages' });
      expect(received.map((m) => [m.key, m.n])).to.deep.equal([
        ['case-1', 1],
        ['case-1', 2],
        ['case-2', 3],
      ]);
      const last = received[received.length - 1];
      // The committed offset is the offset of the next message to read.
      await consumer.commitOffsets([{ topic, partition: 0, offset: String(Number(last?.offset) + 1) }]);
    } finally {
      await consumer.disconnect();
    }

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets).to.deep.equal([{ topic, partitions: [{ partition: 0, offset: '3', metadata: null }] }]);
  });

  it('does not create topics automatically when a producer writes to an unknown topic', async () => {
    const topic = uniqueName('stack-no-autocreate');
    const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: true });
    await producer.connect();
    try {
      let error: unknown;
      try {
        await producer.send({ topic, messages: [{ value: 'x' }] });
      } catch (err) {
        error = err;
      }
      expect(error, 'send to an unknown topic should fail').to.be.instanceOf(Error);
    } finally {
      await producer.disconnect();
    }
    expect(await admin.listTopics()).not.to.include(topic);
  });
});
