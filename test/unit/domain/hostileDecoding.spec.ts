import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../../src/domain/decodeLimits.js';
import { deadLetterHeaders, DEFAULT_DEAD_LETTER_HEADER_BYTES, headerSetBytes } from '../../../src/infra/kafka/deadLetterHeaders.js';
import { decodeInbound, type DecodedRecord } from '../../../src/streams/steps/decodeRecord.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { CLIENT_TOPIC, COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { rawKybMessage, rawKycMessage } from './fixtures.js';

/**
 * The decoder against anything a producer could send: it never throws, it answers a command or a
 * bounded rejection whose dead letter fits its header budget, and it takes time in proportion to
 * the bytes it is given (a quadratic path, or one error per item of a huge array, breaks the budget).
 */

const topics = { clientData: CLIENT_TOPIC, commands: COMMAND_TOPIC };
/** Room for values beyond MAX_RECORD_BYTES, so that huge values reach the parser and the codecs. */
const ROOMY: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxRecordBytes: 64 * 1_048_576 };
const decoders = { strict: decodeInbound(topics), roomy: decodeInbound(topics, ROOMY) };

const MAX_REASON_LENGTH = 4_096;
/** Generous for a busy two-core machine, yet far below what one error per item of a 200,000-item array costs. */
const budgetMs = (bytes: number): number => 50 + bytes / 1_024;

const SEED = 1_707_017;

/** The fastest of up to three decodings: a garbage collection or a busy neighbour must not fail a case, a slow path must. */
const timedDecode = (
  decode: (r: InboundRecord) => DecodedRecord,
  record: InboundRecord,
  budget: number,
): { d: DecodedRecord; took: number } => {
  let fastest = Number.POSITIVE_INFINITY;
  let d: DecodedRecord | undefined;
  for (let attempt = 0; attempt < 3 && fastest >= budget; attempt += 1) {
    const started = performance.now();
    d = decode(record);
    fastest = Math.min(fastest, performance.now() - started);
  }
  return { d: d!, took: fastest };
};

const checkDecoding = (record: InboundRecord, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): void => {
  const bytes = record.value?.length ?? 0;
  const { d, took } = timedDecode(limits === ROOMY ? decoders.roomy : decoders.strict, record, budgetMs(bytes));
  expect(took, `decoding ${bytes} bytes took ${took.toFixed(1)} ms`).to.be.below(budgetMs(bytes));
  if (d.kind === 'command') return;
  expect(d.rejection.details.length).to.be.at.most(limits.maxErrorDetails);
  expect(d.rejection.reason.length).to.be.at.most(MAX_REASON_LENGTH);
  expect(headerSetBytes(deadLetterHeaders(record, d.rejection))).to.be.at.most(DEFAULT_DEAD_LETTER_HEADER_BYTES);
};

const onTopic = (value: unknown, topic: string, headers: Record<string, string> = {}): InboundRecord =>
  recordOf(value, { topic, offset: 0, headers });

const determine = {
  command_type: 'DetermineDocumentRequirements',
  command_id: 'cmd-1',
  case_id: 'case-1',
  entity_id: 'p-1',
  entity_type: 'PERSON',
};
const update = {
  command_type: 'UpdateDocumentStatus',
  command_id: 'cmd-2',
  case_id: 'case-1',
  document_requirement_id: 'doc-1',
  new_status: 'UPLOADED',
  metadata_changes: { reviewer: 'r-1', checks: { face: true } },
  notes_to_add: ['looks fine'],
};
const VALID: readonly [string, unknown][] = [
  [CLIENT_TOPIC, kycMessage('c', 2)],
  [CLIENT_TOPIC, kybMessage('c')],
  [CLIENT_TOPIC, rawKycMessage()],
  [CLIENT_TOPIC, rawKybMessage()],
  [COMMAND_TOPIC, determine],
  [COMMAND_TOPIC, update],
];

type Json = unknown;
type Container = Record<string, Json> | Json[];

/** Every array and object inside `value`, with the key that holds it in its parent (the root has none). */
const containers = (value: Json): { parent: Container | null; key: string | number; node: Container }[] => {
  const found: { parent: Container | null; key: string | number; node: Container }[] = [];
  const visit = (parent: Container | null, key: string | number, node: Json): void => {
    if (typeof node !== 'object' || node === null) return;
    const c = node as Container;
    found.push({ parent, key, node: c });
    if (Array.isArray(c)) c.forEach((item, i) => visit(c, i, item));
    else for (const [k, item] of Object.entries(c)) visit(c, k, item);
  };
  visit(null, '', value);
  return found;
};

const mutation = (maxLength: number) =>
  fc.record({
    op: fc.constantFrom('set', 'delete', 'grow'),
    pick: fc.nat(),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('persons', 'beneficial_owners', 'notes_to_add', 'metadata_changes', 'types_of_control', 'firstname'),
    ),
    value: fc.jsonValue({ maxDepth: 3 }),
    length: fc.integer({ min: 0, max: maxLength }),
  });

/** Applies mutations to a copy of a valid message: set a field to anything, delete one, or blow up a list. */
type Mutation = ReturnType<typeof mutation> extends fc.Arbitrary<infer M> ? M : never;

const mutated = (valid: Json, mutations: readonly Mutation[]): Json => {
  const root = structuredClone(valid) as Container;
  for (const m of mutations) {
    const all = containers(root);
    const target = all[m.pick % all.length]!;
    const node = target.node as Record<string | number, Json>;
    const keys = Object.keys(node);
    const key = Array.isArray(node)
      ? keys.length > 0
        ? Number(keys[m.pick % keys.length])
        : 0
      : keys.length > 0 && m.pick % 2 === 0
        ? keys[m.pick % keys.length]!
        : m.key;
    if (m.op === 'set') node[key] = m.value;
    else if (m.op === 'delete') delete node[key];
    else node[key] = Array.from({ length: m.length }, () => (Array.isArray(node) ? node[0] : (node[key] ?? m.value)));
  }
  return root;
};

describe('decoding hostile input', function () {
  this.timeout(120_000);

  it('answers any JSON value on either topic with a command or a bounded rejection, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(CLIENT_TOPIC, COMMAND_TOPIC), (value, topic) => checkDecoding(onTopic(value, topic))),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('answers any text, or bytes that are not text, without an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 200 })), (value) => {
        const record = onTopic('', CLIENT_TOPIC);
        checkDecoding({ ...record, value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(value) });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('answers any header set, message-id included, without an exception', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 400 })),
        fc.string({ maxLength: 400 }),
        (headers, messageId) => checkDecoding(onTopic(kycMessage('c'), CLIENT_TOPIC, { ...headers, 'message-id': messageId })),
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('answers valid messages with fields set to anything, deleted, or lists grown, with a command or a bounded rejection', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation(300), { minLength: 1, maxLength: 6 }), ([topic, valid], mutations) =>
        checkDecoding(onTopic(mutated(valid, mutations), topic)),
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('answers valid messages whose lists are grown to 200,000 items within its time budget', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        mutation(200_000).map((m) => ({ ...m, op: 'grow' as const, length: 100_000 + (m.length % 100_001) })),
        ([topic, valid], m) => checkDecoding(onTopic(mutated(valid, [m]), topic), ROOMY),
      ),
      { seed: SEED, numRuns: 25 },
    );
  });

  describe('huge and deep values', () => {
    const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const cases: [string, InboundRecord][] = [
      ['100,000 nested arrays', onTopic(deepArray(100_000), CLIENT_TOPIC)],
      ['100,000 nested objects under a field', onTopic(`{"client_id": ${deepObject(100_000)}}`, CLIENT_TOPIC)],
      [
        '100,000 nested objects as metadata',
        onTopic(`{"command_type":"UpdateDocumentStatus","metadata_changes":${deepObject(100_000)}}`, COMMAND_TOPIC),
      ],
      ['an unterminated 100,000-deep array', onTopic('['.repeat(100_000), CLIENT_TOPIC)],
      ['persons as 130,000 numbers', onTopic({ ...kycMessage('c'), persons: Array.from({ length: 130_000 }, (_, i) => i) }, CLIENT_TOPIC)],
      [
        'persons as 200,000 invalid persons',
        onTopic({ ...kycMessage('c'), persons: Array.from({ length: 200_000 }, () => ({ firstname: 1 })) }, CLIENT_TOPIC),
      ],
      ['200,000 notes', onTopic({ ...update, notes_to_add: Array.from({ length: 200_000 }, () => 'n') }, COMMAND_TOPIC)],
      [
        '200,000 metadata keys',
        onTopic(
          { ...update, metadata_changes: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i])) },
          COMMAND_TOPIC,
        ),
      ],
      ['a 2 MB string field', onTopic({ ...kycMessage('c'), client_id: 'x'.repeat(2 * 1_048_576) }, CLIENT_TOPIC)],
      ['a 2 MB string of brackets', onTopic({ ...kycMessage('c'), type: '['.repeat(2 * 1_048_576) }, CLIENT_TOPIC)],
    ];
    for (const [name, record] of cases) {
      it(`answers ${name} with a bounded rejection, within its time budget, whatever MAX_RECORD_BYTES allows`, () => {
        for (const limits of [DEFAULT_DECODE_LIMITS, ROOMY]) {
          checkDecoding(record, limits);
          const d = (limits === ROOMY ? decoders.roomy : decoders.strict)(record);
          expect(d.kind, name).to.equal('rejected');
        }
      });
    }

    it('decodes a valid message with 200,000 unknown fields within its time budget, dropping them', () => {
      const record = onTopic(
        { ...kycMessage('c'), ...Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`f${i}`, i])) },
        CLIENT_TOPIC,
      );
      checkDecoding(record, ROOMY);
      expect(decoders.strict(record).kind).to.equal('rejected');
    });
  });
});
