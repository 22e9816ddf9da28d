/**
 * The limit contender: the raw I/O the work needs and nothing else. It consumes the same messages,
 * stores the same documents per collection with one insertMany per collection per flush (a flush
 * takes every Kafka batch, of any partition, that arrived meanwhile), applies the commands'
 * document changes with one unordered bulkWrite of updates by _id, produces the same notifications
 * with one sendBatch, and commits once per flush. It does not decode messages or run any domain
 * logic while it is measured: what each message must store and publish is computed before it
 * joins its group, by bench/common/storedDocuments.ts with casestream's domain and storage
 * mappings, from the workload options in its BENCH_CONFIG. Without them (`--limit-documents
 * filler`) it writes, per message, the numbers of documents in the bench's `x-bench-work` header
 * (bench/common/oracle.ts), each of three fields and a 160-byte filler.
 *
 * Started by bench/e2e as a child process with BENCH_CONFIG (see common/childConfig.ts).
 */
import { Kafka, logLevel, Partitioners, type Batch, type IHeaders, type KafkaMessage, type Message } from 'kafkajs';
import { Binary, MongoBulkWriteError, MongoClient, type Document } from 'mongodb';
import { ensureIndexes, isFerretDB } from '../../src/infra/mongo/connect.js';
import { accommodationsFor } from '../../src/infra/mongo/serverAccommodations.js';
import { chunksOf } from '../../src/infra/mongo/updateChunks.js';
import { stopIdleRequestQueueChecks } from '../../src/infra/kafka/requestQueueIdleCheck.js';
import { onStop, readChildConfig } from '../common/childConfig.js';
import { decodeWork } from '../common/oracle.js';
import { storedWork, type StoredUpdate, type StoredWork } from '../common/storedDocuments.js';
import { generateWorkload } from '../common/workload.js';
import { pushTo } from '../common/pushTo.js';

const config = readChildConfig();
const stored = config.workload && storedWork(generateWorkload(config.workload), config.workload.rules);

const mongo = await MongoClient.connect(config.mongoUrl, { appName: 'bench-limit' });
const db = mongo.db(config.dbName);
// the same collections and indexes as casestream, so that index maintenance costs the same
await ensureIndexes({ db, accommodations: accommodationsFor(await isFerretDB(db)) });

// Without kafkajs's idle 1 ms timer loop, as casestream runs: the limit stays a lower bound.
stopIdleRequestQueueChecks();
const kafka = new Kafka({ clientId: config.clientId, brokers: [...config.brokers], logLevel: logLevel.ERROR });
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const consumer = kafka.consumer({ groupId: config.groupId });
await consumer.connect();
await consumer.subscribe({ topics: [config.clientTopic, config.commandTopic], fromBeginning: true });

const header = (headers: IHeaders | undefined, name: string): string => {
  const v = headers?.[name];
  return (Array.isArray(v) ? v[0] : v)?.toString() ?? '';
};

/** A stand-in document body (casestream's documents are 300–900 bytes with nested fields). */
const filler = (value: Buffer | null): Binary => new Binary((value ?? Buffer.alloc(0)).subarray(0, 160));

/** A redelivered batch (after a rebalance) finds its documents stored: only duplicate-key errors, which are fine. */
const unlessRedelivered = (error: unknown): void => {
  const writeErrors = error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
  if (writeErrors.length === 0 || writeErrors.some((w) => w.code !== 11000)) throw error;
};

const READ_MODELS = ['cases', 'persons', 'companies', 'beneficial_owners', 'document_requirements'] as const;

interface Part {
  readonly docs: Map<string, Document[]>;
  readonly updates: StoredUpdate[];
  readonly notifications: Message[];
  readonly commit: { topic: string; partition: number; offset: string };
  readonly done: () => void;
  readonly failed: (error: unknown) => void;
}

/** What one message must write, in filler documents (`x-bench-work` says how many of each). */
const fillerWork = (m: KafkaMessage, id: string, now: Date): StoredWork => {
  const work = decodeWork(header(m.headers, 'x-bench-work'));
  const data = filler(m.value);
  const inserts = new Map<string, Document[]>();
  const add = (collection: string, doc: Document) => pushTo(inserts, collection, doc);
  for (let k = 0; k < work.events; k++) {
    const event_id = `${id}:${k}`;
    add('domain_events', { _id: event_id, event_id, aggregate_id: id, version: k + 1, timestamp: now, data });
  }
  for (const collection of READ_MODELS) {
    for (let k = 0; k < work[collection]; k++) {
      const docId = `${id}:${collection}:${k}`;
      add(collection, { _id: docId, id: docId, created_at: now, updated_at: now, data });
    }
  }
  if (work.raw_events > 0)
    add('raw_events', {
      _id: id,
      id,
      payload: new Binary(m.value ?? Buffer.alloc(0)),
      received_at: now,
      processed_at: now,
      status: 'processed',
    });
  if (work.command_results > 0) add('command_results', { _id: id, status: 'processed', completed_at: now });
  const updates: StoredUpdate[] =
    work.updates > 0
      ? [
          {
            collection: 'document_requirements',
            filter: { _id: `${header(m.headers, 'x-bench-case')}:document_requirements:0` },
            update: { $set: { status: 'UPDATED', updated_at: now } },
          },
        ]
      : [];
  const notifications = Array.from({ length: work.notifications }, () => ({
    key: m.key,
    value: (m.value ?? Buffer.alloc(0)).subarray(0, 600),
    headers: { 'message-id': id, 'event-type': 'NotificationRequired' },
  }));
  return { inserts, updates, notifications };
};

/** What one Kafka batch (one partition) must write, without looking inside the messages. */
const partOf = (batch: Batch): Omit<Part, 'done' | 'failed'> => {
  const now = new Date();
  const docs = new Map<string, Document[]>();
  const updates: StoredUpdate[] = [];
  const notifications: Message[] = [];
  for (const m of batch.messages) {
    const id = header(m.headers, 'message-id');
    const work = stored ? stored.get(id) : fillerWork(m, id, now);
    if (!work) throw new Error(`message ${id} is not in the workload`);
    for (const [collection, list] of work.inserts) pushTo(docs, collection, ...list);
    updates.push(...work.updates);
    notifications.push(...work.notifications);
  }
  return {
    docs,
    updates,
    notifications,
    commit: { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() },
  };
};

/**
 * Maximal batching: the batches of every partition that arrive while a flush runs (or in the same
 * tick) are written together: one insertMany per collection, one bulkWrite, one sendBatch, one
 * commit for all of them.
 */
const queue: Part[] = [];
let flushing = false;
const flush = async (): Promise<void> => {
  flushing = true;
  while (queue.length > 0) {
    const parts = queue.splice(0);
    try {
      const docs = new Map<string, Document[]>();
      for (const part of parts) for (const [c, list] of part.docs) pushTo(docs, c, ...list);
      await Promise.all(
        [...docs].map(([collection, list]) =>
          db.collection(collection).insertMany(list, { ordered: false, ignoreUndefined: true }).catch(unlessRedelivered),
        ),
      );
      // In casestream's chunks (FerretDB v1 stalls on large update commands). Updates by _id, not one
      // updateMany with $in: the stack's FerretDB serves an _id lookup from its index but evaluates
      // $in by reading the whole collection (2 x slower at 2,000 messages).
      const updates = new Map<string, StoredUpdate[]>();
      for (const u of parts.flatMap((p) => p.updates)) pushTo(updates, u.collection, u);
      for (const [collection, list] of updates) {
        for (const chunk of chunksOf(list)) {
          await db.collection<{ _id: string }>(collection).bulkWrite(
            chunk.map(({ filter, update }) => ({ updateOne: { filter, update } })),
            { ordered: false },
          );
        }
      }
      const notifications = parts.flatMap((p) => p.notifications);
      if (notifications.length > 0)
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic: config.notificationTopic, messages: notifications }] });
      await consumer.commitOffsets(parts.map((p) => p.commit));
      for (const p of parts) p.done();
    } catch (error) {
      for (const p of parts) p.failed(error);
    }
  }
  flushing = false;
};

await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: true, // the fetch position moves past a batch once it is written
  partitionsConsumedConcurrently: 12,
  eachBatch: async ({ batch }) => {
    if (batch.messages.length === 0) return;
    const part = partOf(batch);
    await new Promise<void>((done, failed) => {
      queue.push({ ...part, done, failed });
      if (!flushing) setImmediate(() => void (flushing ? undefined : flush()));
    });
  },
});

onStop(async () => {
  await consumer.disconnect();
  await producer.disconnect();
  await mongo.close();
});
