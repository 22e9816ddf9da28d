import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readDeadLetters } from '../../src/infra/kafka/deadLetters.js';
import { MARKER, type BadInput } from './support/badInputs.js';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { Driver, faultKafka } from './support/kafka.js';
import type { InvalidMessage, ValidMessage } from './support/messages.js';
import { produceInBatches } from './support/produceInBatches.js';
import { faultMessages, FaultScenario, interleave } from './support/scenario.js';
import { sleep } from '../support/stack.js';

// Fault 8: a hostile corpus against the real stack, each record one that once stopped or stalled
// casestream: a 130,000-item array, a message with hundreds of failing fields, 100,000-deep JSON,
// a 900 KB string field, a message-id reused for other content, and a flood of document notes.
// The same process must keep running, every hostile record must be dead-lettered with a reason,
// the group's offsets must pass all of them, and every valid message around them must be handled.

/** Stays below the broker's ~1 MiB limit, so the record reaches casestream. */
const STRING_FIELD_BYTES = 900 * 1024;
const NOTES_PER_DOCUMENT = 60;
const DLQ_MAX_HEADER_BYTES = 16_384;

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const kyc = (clientId: string, persons: unknown): Record<string, unknown> => ({
  client_id: clientId,
  version: '1.0',
  type: 'INDIVIDUAL_STANDARD_HOSTILE',
  traitement_type: 'KYC',
  persons,
});

const hostileCorpus = (tag: string): BadInput[] => [
  {
    name: 'persons-130000-numbers',
    value: json(
      kyc(
        `${tag}-h1`,
        Array.from({ length: 130_000 }, (_, i) => i % 10),
      ),
    ),
    reason: '$.persons must have at most 200 items',
    paths: ['$.persons'],
    heavy: true,
  },
  {
    // ~60 KB whose every person breaks every rule: the report must stay bounded
    name: 'many-errors-60kb',
    value: json(
      kyc(
        `${tag}-h2`,
        Array.from({ length: 200 }, () => ({ firstname: 1, lastname: 2, birthdate: 3, note: `${MARKER} ${'x'.repeat(240)}` })),
      ),
    ),
    reason: 'more',
    paths: ['$.persons[0].firstname'],
    heavy: true,
  },
  {
    name: 'json-100000-deep',
    value: Buffer.from(`{"client_id":"${tag}-h3","version":"1.0","persons":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    reason: 'nests deeper than',
    paths: ['$'],
    heavy: true,
  },
  {
    name: 'string-field-900kb',
    value: json(kyc(`${tag}-h4`, [{ firstname: `${MARKER}${'A'.repeat(STRING_FIELD_BYTES)}`, lastname: 'Doe' }])),
    reason: 'must be at most',
    paths: ['$.persons[0].firstname'],
    heavy: true,
  },
];

/** A header set's size as the broker counts it: names and values. */
const headerBytes = (headers: Readonly<Record<string, string>>): number =>
  Object.entries(headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

describe('fault suite 08: a hostile corpus against the real stack', function () {
  this.timeout(60 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);
  let reusedOriginal: ValidMessage | undefined;
  // filled once the messages exist: the checker then expects the reuse's dead letter
  const reusedIds: string[] = [];

  before(async () => {
    s = await FaultScenario.create({
      name: '08-hostile-input',
      title: 'hostile corpus interleaved with valid messages',
      valid: Math.min(faultMessages(), 300),
      invalid: 0,
      env: { MAX_NOTES_PER_DOCUMENT: String(NOTES_PER_DOCUMENT) },
      check: { reusedIds },
    });
    const corpus = hostileCorpus(s.tag).map((b, i) => s!.invalidMessage(b, i));
    s.messages.splice(0, s.messages.length, ...interleave(s.valid, corpus, s.prng.fork()));
    // a message-id reused for other content: on the original's key, so it comes after the original
    reusedOriginal = s.valid.find((m) => m.key !== null)!;
    reusedIds.push(reusedOriginal.messageId);
    s.observations.reused_message_id = reusedOriginal.messageId;
  });

  it('dead-letters every hostile record with a reason, handles every valid one, and the same process keeps running', async () => {
    const scenario = s!;
    const heavy = new Set(hostileCorpus(scenario.tag).map((b) => b.name));
    const p = scenario.startService('a');
    scenario.timings.join_ms = await scenario.waitJoined(p);
    await produceInBatches(scenario, heavy);
    const original = reusedOriginal!;
    const other = JSON.parse(original.value.toString()) as Record<string, unknown>;
    await scenario.driver.send([
      { key: original.key, value: json({ ...other, client_id: `${other.client_id as string}-other` }), messageId: original.messageId },
    ]);

    const result = await scenario.finish({ alive: [p] });
    expectInvariants(result);
    expect(scenario.services, 'service processes started').to.have.length(1);

    const kafka = faultKafka(`fault-08-${randomUUID()}`);
    const letters = await readDeadLetters(kafka, scenario.topics.dlq);
    const oversize = letters.filter((l) => headerBytes(l.headers) > DLQ_MAX_HEADER_BYTES);
    expect(
      oversize.map((l) => l.headers['message-id']),
      'dead letters with headers over DLQ_MAX_HEADER_BYTES',
    ).to.deep.equal([]);
    const hostile = scenario.invalid.map((m: InvalidMessage) => m.messageId);
    const details = letters
      .filter((l) => hostile.includes(l.headers['message-id'] ?? ''))
      .map((l) => (JSON.parse(l.headers['x-error-details'] ?? '[]') as unknown[]).length);
    expect(Math.max(...details), 'failing fields listed in one dead letter').to.be.at.most(20);
    scenario.observations.hostile_reasons = Object.fromEntries(
      letters
        .filter((l) => hostile.includes(l.headers['message-id'] ?? ''))
        .map((l) => [l.headers['message-id'], (l.headers['x-error-reason'] ?? '').slice(0, 160)]),
    );

    await expectOffsetsPastEverything(kafka, scenario, scenario.topics.clientData);
    scenario.assertAlive([p]);
    scenario.passed = true;
  });

  it('refuses a notes flood on one document without growing it past MAX_NOTES_PER_DOCUMENT, and keeps consuming commands', async () => {
    const scenario = s!;
    const p = scenario.services[0]!;
    const kafka = faultKafka(`fault-08-notes-${randomUUID()}`);
    const commands = new Driver(kafka, scenario.topics.commands);
    await commands.connect();
    const target = scenario.valid.find((m) => m.kind === 'KYC')!;
    const doc = await scenario.db.collection('document_requirements').findOne({ case_id: target.caseId });
    expect(doc, 'a document requirement of a KYC case').to.not.equal(null);
    const command = (i: number, notes: number, status: string) => ({
      key: target.caseId,
      messageId: `${scenario.tag}-notes-${i}`,
      value: json({
        command_type: 'UpdateDocumentStatus',
        command_id: `${scenario.tag}-notes-${i}`,
        case_id: target.caseId,
        document_requirement_id: doc!._id,
        new_status: status,
        updated_by_actor_type: 'USER',
        updated_by_actor_id: 'fault-08',
        notes_to_add: Array.from({ length: notes }, (_, n) => `note ${n} ${MARKER}`),
      }),
    });
    // one command over the per-command bound, then twenty within it, each changing the status (refused
    // ones leave it at UPLOADED): setting the current status again records nothing, notes included
    const accepted = NOTES_PER_DOCUMENT / 20;
    const statusOf = (i: number) => (i < accepted && i % 2 === 0 ? 'UPLOADED' : 'REJECTED');
    const flood = [command(0, 10_000, 'UPLOADED'), ...Array.from({ length: 20 }, (_, i) => command(i + 1, 20, statusOf(i)))];
    await commands.send(flood);
    await commands.disconnect();

    const refusedIds = new Set(
      flood
        .slice(1 + accepted)
        .map((c) => c.messageId)
        .concat(flood[0]!.messageId),
    );
    const deadline = Date.now() + 120_000;
    let refused: Awaited<ReturnType<typeof readDeadLetters>> = [];
    while (Date.now() < deadline) {
      refused = (await readDeadLetters(kafka, scenario.topics.dlq)).filter((l) => refusedIds.has(l.headers['message-id'] ?? ''));
      if (refused.length >= refusedIds.size) break;
      await sleep(1000);
    }
    expect(refused.map((l) => l.headers['message-id']).sort()).to.deep.equal([...refusedIds].sort());
    expect(refused.find((l) => l.headers['message-id'] === flood[0]!.messageId)!.headers['x-error-reason']).to.include(
      '$.notes_to_add must have at most',
    );
    for (const l of refused.filter((x) => x.headers['message-id'] !== flood[0]!.messageId)) {
      expect(l.headers['x-error-reason']).to.include(`would hold more than ${NOTES_PER_DOCUMENT} notes`);
    }
    const stored = await scenario.db.collection('document_requirements').findOne({ _id: doc!._id });
    expect((stored!.notes as unknown[]).length, 'notes on the flooded document').to.equal(NOTES_PER_DOCUMENT);
    await expectOffsetsPastEverything(kafka, scenario, scenario.topics.commands);
    scenario.assertAlive([p]);
    await scenario.stopAll();
  });
});

/** The group has committed every record of `topic`: nothing hostile holds a partition back. */
const expectOffsetsPastEverything = async (kafka: ReturnType<typeof faultKafka>, scenario: FaultScenario, topic: string): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    let behind: string[] = [];
    do {
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId: scenario.group, topics: [topic] }),
        admin.fetchTopicOffsets(topic),
      ]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      behind = ends
        .filter((e) => Number(e.high) > 0 && (done.get(e.partition) ?? -1) < Number(e.high))
        .map((e) => `${e.partition}: ${done.get(e.partition)} < ${e.high}`);
      if (behind.length === 0) return;
      await sleep(1000);
    } while (Date.now() < deadline);
    expect(behind, `partitions of ${topic} whose committed offset has not passed every record`).to.deep.equal([]);
  } finally {
    await admin.disconnect();
  }
};
