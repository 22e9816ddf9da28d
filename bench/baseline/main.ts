/**
 * The baseline contender: the reference design re-created in TypeScript on casestream's own domain
 * (decoding, decisions, projections, document shapes are imported, not copied), but handled the
 * way the reference handles it: one message at a time, every write its own awaited round trip,
 * a rule lookup over HTTP for every new case with no cache, and a synchronous commit per message.
 *
 * Started by bench/e2e as a child process with BENCH_CONFIG (see common/childConfig.ts).
 */
import * as E from 'fp-ts/lib/Either.js';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { MongoClient } from 'mongodb';
import fetch from 'node-fetch';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import { caseCreatedTrigger, ruleContext } from '../../src/domain/decideNotification.js';
import { decide } from '../../src/domain/decide.js';
import { idFor } from '../../src/domain/deterministicId.js';
import { isEventOf, type DomainEvent } from '../../src/domain/events.js';
import { selectRule, type FoundRule, type NotificationRule } from '../../src/domain/notificationRule.js';
import { projectEvents } from '../../src/domain/projections.js';
import type { Rejection } from '../../src/domain/rejection.js';
import { unstorableBecause } from '../../src/domain/storableDocument.js';
import { commandResultOf, toCommandResultUpsert, type CommandResultDocument } from '../../src/infra/mongo/commandResults.js';
import { deadLetterHeaders } from '../../src/infra/kafka/deadLetterHeaders.js';
import { notificationMessage } from '../../src/infra/kafka/kafkaSinks.js';
import { toInboundRecord } from '../../src/infra/kafka/toInboundRecord.js';
import { ensureIndexes, isFerretDB } from '../../src/infra/mongo/connect.js';
import { accommodationsFor } from '../../src/infra/mongo/serverAccommodations.js';
import { fromEventDocument, toEventDocument, type EventDocument } from '../../src/infra/mongo/eventStore.js';
import { lookupFailureId } from '../../src/infra/mongo/lookupFailures.js';
import { toRawEventUpsert, type RawEventDocument } from '../../src/infra/mongo/rawEventLog.js';
import { toReadModelUpdate, type ReadModelDocument } from '../../src/infra/mongo/readModelStore.js';
import { isDuplicateKeyCode } from '../../src/infra/mongo/writeErrors.js';
import { decodeInbound } from '../../src/streams/steps/decodeRecord.js';
import { idempotencyKey, type InboundRecord } from '../../src/streams/records.js';
import { onStop, readChildConfig } from '../common/childConfig.js';

const config = readChildConfig();
const topics = { clientData: config.clientTopic, commands: config.commandTopic };

const mongo = await MongoClient.connect(config.mongoUrl, { appName: 'bench-baseline', ignoreUndefined: true });
const db = mongo.db(config.dbName);
await ensureIndexes({ db, accommodations: accommodationsFor(await isFerretDB(db)) });
const events = db.collection<EventDocument>('domain_events');

const kafka = new Kafka({ clientId: config.clientId, brokers: [...config.brokers], logLevel: logLevel.ERROR });
const producer = kafka.producer({
  allowAutoTopicCreation: false,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
const consumer = kafka.consumer({ groupId: config.groupId });
await consumer.connect();
await consumer.subscribe({ topics: [config.clientTopic, config.commandTopic], fromBeginning: true });

type RuleAnswer = { kind: 'rule'; rule: NotificationRule } | { kind: 'no-rule' } | { kind: 'unavailable'; reason: string };

/** POST /rules/match on every new case: no in-process layer, no Redis. */
const lookUpRule = async (trigger: string, context: Record<string, unknown>): Promise<RuleAnswer> => {
  try {
    const response = await fetch(`${config.configServiceUrl}/rules/match`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_trigger: trigger, context }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return { kind: 'unavailable', reason: `HTTP ${response.status}` };
    const selected = selectRule(await response.json());
    if (E.isLeft(selected)) return { kind: 'unavailable', reason: selected.left };
    return selected.right.rule ? { kind: 'rule', rule: selected.right.rule } : { kind: 'no-rule' };
  } catch (error) {
    return { kind: 'unavailable', reason: String(error) };
  }
};

/** The case's stored events, read back to decide a command on it. */
const loadCase = async (case_id: string): Promise<CaseState> => {
  const docs = await events.find({ aggregate_id: case_id }, { sort: { version: 1 } }).toArray();
  return evolveCase(emptyCase(case_id), docs.map(fromEventDocument));
};

/** One awaited insertOne per event; a duplicate (a redelivery) is already there. */
const insertEvent = async (e: DomainEvent): Promise<void> => {
  try {
    await events.insertOne(toEventDocument(e));
  } catch (error) {
    if (!isDuplicateKeyCode((error as { code?: unknown }).code)) throw error;
  }
};

const handle = async (record: InboundRecord): Promise<void> => {
  const decoded = decodeInbound(topics)(record);
  let decidedEvents: DomainEvent[] = [];
  let rejection: Rejection | null = decoded.kind === 'rejected' ? decoded.rejection : null;
  let lookupFailure: { case_id: string; trigger: string; reason: string } | null = null;
  if (decoded.kind === 'command') {
    const cmd = decoded.command;
    let state: CaseState;
    let rule: FoundRule | null = null;
    if (cmd.command_type === 'CreateCase') {
      state = emptyCase(cmd.case_id);
      const trigger = caseCreatedTrigger(cmd);
      const answer = await lookUpRule(trigger, ruleContext(cmd));
      if (answer.kind === 'rule') rule = { rule: answer.rule, source: 'fresh', fetched_at: new Date().toISOString() };
      if (answer.kind === 'unavailable') lookupFailure = { case_id: cmd.case_id, trigger, reason: answer.reason };
    } else {
      state = await loadCase(cmd.case_id);
    }
    const decided = decide(state, cmd, rule);
    if (E.isLeft(decided)) rejection = decided.left;
    else decidedEvents = decided.right;
  }

  for (const e of decidedEvents) await insertEvent(e);
  for (const write of projectEvents(decidedEvents)) {
    const u = toReadModelUpdate(write);
    if (u) await db.collection<ReadModelDocument>(write.collection).updateOne(u.filter, u.update, { upsert: u.upsert });
  }
  // The reference design publishes and moves on: it keeps no outbox (casestream's notification_outbox is its own addition).
  for (const n of decidedEvents.filter(isEventOf('NotificationRequired'))) {
    await producer.send({ topic: config.notificationTopic, acks: -1, messages: [notificationMessage(n)] });
  }
  if (lookupFailure) {
    const now = new Date();
    await db.collection<{ _id: string }>('notification_lookup_failures').updateOne(
      { _id: lookupFailureId(lookupFailure) },
      {
        $setOnInsert: { case_id: lookupFailure.case_id, trigger: lookupFailure.trigger, first_failed_at: now },
        $set: { status: 'open', last_failed_at: now, last_reason: lookupFailure.reason },
        $inc: { failures: 1 },
      },
      { upsert: true },
    );
  }
  if (rejection) {
    await producer.send({
      topic: config.deadLetterTopic,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: deadLetterHeaders(record, rejection) }],
    });
  }
  if (decoded.raw) {
    const entry = {
      id: idFor(idempotencyKey(record), 'raw'),
      payload: unstorableBecause(decoded.raw) === null ? decoded.raw : JSON.stringify(decoded.raw),
      received_at: new Date(),
      ...(rejection === null ? { status: 'processed' as const } : { status: 'rejected' as const, error: rejection }),
    };
    const u = toRawEventUpsert(entry, new Date());
    await db.collection<RawEventDocument>('raw_events').updateOne(u.filter, u.update, { upsert: true });
  }
  const command_id =
    decoded.kind === 'rejected' ? decoded.command_id : decoded.command.command_type === 'CreateCase' ? null : decoded.command.command_id;
  const result = commandResultOf(
    {
      outcome: rejection === null ? 'processed' : 'rejected',
      case_id: decoded.kind === 'command' ? decoded.command.case_id : null,
      event_ids: decidedEvents.map((e) => e.event_id),
      reason: rejection?.reason ?? null,
    },
    command_id,
  );
  if (result) {
    const u = toCommandResultUpsert(result);
    await db.collection<CommandResultDocument>('command_results').updateOne(u.filter, u.update, { upsert: true });
  }
};

await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: 1,
  eachMessage: async ({ topic, partition, message }) => {
    await handle(toInboundRecord(topic, partition, message));
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  },
});

onStop(async () => {
  await consumer.disconnect();
  await producer.disconnect();
  await mongo.close();
});
