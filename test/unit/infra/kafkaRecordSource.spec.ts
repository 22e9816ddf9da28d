import { expect } from 'chai';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { pino } from 'pino';
import sinon from 'sinon';
import { createKafkaRecordSource } from '../../../src/infra/kafka/kafkaRecordSource.js';
import { Intake } from '../../../src/streams/intake.js';
import type { InboundRecord } from '../../../src/streams/records.js';

/** A kafkajs stand-in: records the consumer's eachBatch, its event listeners and its offset commits. */
const fakeKafka = (run: () => Promise<void> = async () => undefined) => {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const listeners = new Map<string, (event: { payload: unknown }) => void>();
  const commitOffsets = sinon.spy(async (_positions: unknown) => undefined);
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (name: string, listener: (event: { payload: unknown }) => void) => listeners.set(name, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      await run();
    },
    commitOffsets,
    disconnect: async () => undefined,
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const emit = (name: string, payload: unknown) => listeners.get(name)?.({ payload });
  return { kafka, commitOffsets, emit, eachBatch: (payload: EachBatchPayload) => eachBatch!(payload) };
};

/** One partition's batch of `count` messages from offset 0 (values of `valueBytes` bytes), as kafkajs hands it to eachBatch. */
const batchOf = (topic: string, partition: number, count: number, valueBytes = 2): EachBatchPayload =>
  ({
    batch: {
      topic,
      partition,
      messages: Array.from({ length: count }, (_, i) => ({
        offset: String(i),
        key: null,
        value: Buffer.alloc(valueBytes, 0x20),
        headers: {},
        timestamp: '1767225600000',
      })),
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

/** A started record source on the fake consumer with `credits` credits (and `bytes` bytes), and the records it handed over. */
const startedSource = async (credits: number, bytes?: number) => {
  const fake = fakeKafka();
  const intake = new Intake({ maxMessages: credits, ...(bytes === undefined ? {} : { maxBytes: bytes }) });
  const source = createKafkaRecordSource(fake.kafka, {
    groupId: 'g',
    topics: ['t'],
    partitionsConsumedConcurrently: 3,
    intake,
    logger: pino({ level: 'silent' }),
  });
  const taken: InboundRecord[] = [];
  source.records.subscribe((r) => taken.push(r));
  await source.start();
  /** What consumeLoop does at a completion. */
  const complete = (r: InboundRecord) => intake.complete(r);
  return { ...fake, source, intake, taken, complete };
};

describe('createKafkaRecordSource', () => {
  it('hands a message over only with a credit, so a full pipeline stops taking from the batch', async () => {
    const { eachBatch, intake, taken, complete } = await startedSource(1);
    const batch = eachBatch(batchOf('t', 0, 2));
    await settled();
    expect(taken, 'the second message waits for the credit the first one holds').to.have.length(1);
    complete(taken[0]!);
    await settled();
    expect(taken).to.have.length(2);
    complete(taken[1]!);
    await batch;
    expect(intake.messagesInFlight).to.equal(0);
  });

  it('lets the batches of a fetch go once their messages are complete, committing them together in one request', async () => {
    const { commitOffsets, eachBatch, taken, complete } = await startedSource(100);
    let returned = 0;
    const batches = [0, 1, 2].map((p) => eachBatch(batchOf('t', p, 2)).then(() => (returned += 1)));
    await settled();
    expect(taken).to.have.length(6);
    for (const r of taken.slice(0, 5)) complete(r);
    await settled();
    expect(returned, 'a batch is held until every message it handed over is complete').to.equal(2);
    expect(commitOffsets.callCount, 'the two batches that settled together share one request').to.equal(1);

    complete(taken[5]!);
    await Promise.all(batches);
    const committed = commitOffsets.getCalls().flatMap((c) => c.args[0] as { partition: number; offset: string }[]);
    expect(committed).to.have.deep.members([
      { topic: 't', partition: 0, offset: '2' },
      { topic: 't', partition: 1, offset: '2' },
      { topic: 't', partition: 2, offset: '2' },
    ]);
    expect(commitOffsets.callCount).to.equal(2);
  });

  it('takes a message only when its bytes fit the budget too: a batch of big messages waits for bytes, then flows', async () => {
    const { eachBatch, intake, taken, complete } = await startedSource(100, 10_000);
    const batch = eachBatch(batchOf('t', 0, 4, 4_000));
    await settled();
    expect(taken, 'two 4 kB messages fit a 10 kB budget; the third waits although credits are free').to.have.length(2);
    expect(intake.bytesInFlight).to.equal(8_000);
    complete(taken[0]!);
    await settled();
    expect(taken, 'a completion gives its bytes back').to.have.length(3);
    for (const r of taken.slice(1)) complete(r);
    await settled();
    expect(taken).to.have.length(4);
    complete(taken[3]!);
    await batch;
    expect([intake.messagesInFlight, intake.bytesInFlight]).to.deep.equal([0, 0]);
  });

  it('lets a record larger than the whole byte budget through alone instead of waiting forever', async () => {
    const { eachBatch, intake, taken, complete } = await startedSource(100, 1_000);
    const batch = eachBatch(batchOf('t', 0, 2, 5_000));
    await settled();
    expect(taken, 'the first passes alone; the second waits for it').to.have.length(1);
    expect(intake.bytesInFlight).to.equal(5_000);
    complete(taken[0]!);
    await settled();
    expect(taken).to.have.length(2);
    complete(taken[1]!);
    await batch;
  });

  describe('liveness', () => {
    it('stays alive through a crash kafkajs restarts from', async () => {
      const { emit, source } = await startedSource(1);
      emit('crash', { error: new Error('The group coordinator is not available'), restart: true });
      expect(source.deadReason()).to.equal(undefined);
    });

    it('is dead for good after a crash without restart, with the reason', async () => {
      const { emit, source } = await startedSource(1);
      emit('crash', { error: new Error('Topic authorization failed'), restart: false });
      expect(source.deadReason()).to.match(/crashed for good.*Topic authorization failed/);
    });

    it('warns about a crash kafkajs restarts from, and logs a crash without restart as an error', async () => {
      const fake = fakeKafka();
      const levels: string[] = [];
      const logger = pino(
        { formatters: { level: (label) => ({ level: label }) } },
        { write: (line: string) => void levels.push(String(JSON.parse(line).level)) },
      );
      const source = createKafkaRecordSource(fake.kafka, {
        groupId: 'g',
        topics: ['t'],
        partitionsConsumedConcurrently: 1,
        intake: new Intake({ maxMessages: 1 }),
        logger,
      });
      await source.start();
      fake.emit('crash', { error: new Error('The group coordinator is not available'), restart: true });
      fake.emit('crash', { error: new Error('Topic authorization failed'), restart: false });
      expect(levels).to.deep.equal(['warn', 'error']);
    });

    it('is dead when the consumer could not be started', async () => {
      const fake = fakeKafka(() => Promise.reject(new Error('broker refused')));
      const source = createKafkaRecordSource(fake.kafka, {
        groupId: 'g',
        topics: ['t'],
        partitionsConsumedConcurrently: 1,
        intake: new Intake({ maxMessages: 1 }),
        logger: pino({ level: 'silent' }),
      });
      await source.start().catch(() => undefined);
      expect(source.deadReason()).to.match(/did not start.*broker refused/);
    });
  });
});
