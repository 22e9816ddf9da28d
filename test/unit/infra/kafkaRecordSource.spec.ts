import { expect } from 'chai';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { pino } from 'pino';
import sinon from 'sinon';
import { createKafkaRecordSource } from '../../../src/infra/kafka/kafkaRecordSource.js';
import { Semaphore } from '../../../src/operators/semaphore.js';
import { OffsetLedger } from '../../../src/streams/offsetLedger.js';
import type { InboundRecord } from '../../../src/streams/records.js';

/** A kafkajs stand-in: records the consumer's eachBatch and its offset commits. */
const fakeKafka = () => {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const commitOffsets = sinon.spy(async (_positions: unknown) => undefined);
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    commitOffsets,
    disconnect: async () => undefined,
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  return { kafka, commitOffsets, eachBatch: (payload: EachBatchPayload) => eachBatch!(payload) };
};

/** One partition's batch of `count` messages from offset 0, as kafkajs hands it to eachBatch. */
const batchOf = (topic: string, partition: number, count: number): EachBatchPayload =>
  ({
    batch: {
      topic,
      partition,
      messages: Array.from({ length: count }, (_, i) => ({ offset: String(i), key: null, value: Buffer.from('{}'), headers: {}, timestamp: '1767225600000' })),
    },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
  }) as unknown as EachBatchPayload;

/** Lets setImmediate callbacks and promise continuations run. */
const settled = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** A started record source on the fake consumer with `credits` credits, and the records it handed over. */
const startedSource = async (credits: number) => {
  const fake = fakeKafka();
  const ledger = new OffsetLedger();
  const inFlight = new Semaphore(credits);
  const source = createKafkaRecordSource(fake.kafka, { groupId: 'g', topics: ['t'], partitionsConsumedConcurrently: 3, inFlight, ledger, logger: pino({ level: 'silent' }) });
  const taken: InboundRecord[] = [];
  source.records.subscribe((r) => taken.push(r));
  await source.start();
  return { ...fake, ledger, inFlight, taken };
};

describe('createKafkaRecordSource', () => {
  it('hands a message over only with a credit, so a full pipeline stops taking from the batch', async () => {
    const { eachBatch, ledger, inFlight, taken } = await startedSource(1);
    const batch = eachBatch(batchOf('t', 0, 2));
    await settled();
    expect(taken, 'the second message waits for the credit the first one holds').to.have.length(1);
    ledger.complete(taken[0]!);
    inFlight.release();
    await settled();
    expect(taken).to.have.length(2);
    ledger.complete(taken[1]!);
    inFlight.release();
    await batch;
    expect(inFlight.inUse).to.equal(0);
  });

  it('lets the batches of a fetch go once their messages are complete, committing them together in one request', async () => {
    const { commitOffsets, eachBatch, ledger, taken } = await startedSource(100);
    let returned = 0;
    const batches = [0, 1, 2].map((p) => eachBatch(batchOf('t', p, 2)).then(() => (returned += 1)));
    await settled();
    expect(taken).to.have.length(6);
    for (const r of taken.slice(0, 5)) ledger.complete(r);
    await settled();
    expect(returned, 'a batch is held until every message it handed over is complete').to.equal(2);
    expect(commitOffsets.callCount, 'the two batches that settled together share one request').to.equal(1);

    ledger.complete(taken[5]!);
    await Promise.all(batches);
    const committed = commitOffsets.getCalls().flatMap((c) => c.args[0] as { partition: number; offset: string }[]);
    expect(committed).to.have.deep.members([
      { topic: 't', partition: 0, offset: '2' },
      { topic: 't', partition: 1, offset: '2' },
      { topic: 't', partition: 2, offset: '2' },
    ]);
    expect(commitOffsets.callCount).to.equal(2);
  });
});
