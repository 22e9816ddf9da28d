import { expect } from 'chai';
import { contentHash } from '../../../src/domain/contentHash.js';
import { DEFAULT_DECODE_LIMITS } from '../../../src/domain/decodeLimits.js';
import { idFor } from '../../../src/domain/deterministicId.js';
import { actorKeyOf, decodeInbound, decodeRecord, type DecodedRecord } from '../../../src/streams/steps/decodeRecord.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { topics } from './work.js';

const decode = decodeInbound(topics);

/** recordOf's timestamp: 2026-01-01T00:00:00Z. */
const RECORD_TIME = new Date(1767225600000);

const withValue = (value: Buffer | null, offset = 0): InboundRecord => ({ ...recordOf({}, { offset }), value });

const commandOf = (d: DecodedRecord) => {
  if (d.kind !== 'command') throw new Error(`expected a command, got a rejection: ${d.rejection.reason}`);
  return d.command;
};

const rejectionOf = (d: DecodedRecord) => {
  if (d.kind !== 'rejected') throw new Error(`expected a rejection, got ${d.command.command_type}`);
  return d.rejection;
};

const UPDATE = {
  command_type: 'UpdateDocumentStatus',
  command_id: 'cmd-2',
  case_id: 'case-9',
  document_requirement_id: 'doc-1',
  new_status: 'UPLOADED',
};

describe('decodeRecord', () => {
  describe('client data messages', () => {
    it('turns a valid KYC message into CreateCase, with the letter case of traitement_type normalised', () => {
      const d = decode(recordOf(kycMessage('client-1', 2), { offset: 5 }));
      const cmd = commandOf(d);
      expect(cmd.command_type).to.equal('CreateCase');
      if (cmd.command_type !== 'CreateCase') return;
      expect(cmd.message.client_id).to.equal('client-1');
      expect(cmd.message.traitement_type).to.equal('KYC');
      expect(cmd.message.persons.map((p) => p.firstname)).to.deep.equal(['First0', 'First1']);
      expect(cmd.message.company_profile).to.equal(null);
    });

    it('turns a valid KYB message into CreateCase with its company profile and beneficial owners', () => {
      const cmd = commandOf(decode(recordOf(kybMessage('client-2'), { offset: 1 })));
      if (cmd.command_type !== 'CreateCase') throw new Error('expected CreateCase');
      expect(cmd.message.traitement_type).to.equal('KYB');
      expect(cmd.message.company_profile?.registered_name).to.equal('Test Corp Ltd');
      expect(cmd.message.beneficial_owners).to.have.length(1);
    });

    it('derives the case id from the message-id header when there is one, wherever the record sits', () => {
      const a = commandOf(decode(recordOf(kycMessage('c'), { offset: 3, headers: { 'message-id': 'msg-77' } })));
      const b = commandOf(decode(recordOf(kycMessage('c'), { partition: 4, offset: 900, headers: { 'message-id': 'msg-77' } })));
      expect(a.case_id).to.equal(idFor('msg-77', 'case'));
      expect(a.command_id).to.equal(idFor('msg-77', 'command'));
      expect(a.key).to.equal('msg-77');
      expect(b.case_id).to.equal(a.case_id);
    });

    it('derives the case id from topic/partition/offset when there is no message-id header', () => {
      const cmd = commandOf(decode(recordOf(kycMessage('c'), { partition: 2, offset: 41 })));
      expect(cmd.key).to.equal('kyc_events/2/41');
      expect(cmd.case_id).to.equal(idFor('kyc_events/2/41', 'case'));
    });

    it('decides the same command for a redelivered record, so a redelivery creates nothing new', () => {
      const record = recordOf(kycMessage('c'), { offset: 8 });
      expect(decode(record)).to.deep.equal(decode({ ...record }));
      expect(commandOf(decode(recordOf(kycMessage('c'), { offset: 9 }))).case_id).not.to.equal(commandOf(decode(record)).case_id);
    });

    it('stamps the command with the record timestamp, not the time of decoding', () => {
      expect(commandOf(decode(recordOf(kycMessage('c'), { offset: 0 }))).timestamp).to.deep.equal(RECORD_TIME);
    });

    it('keeps the parsed message as raw, for raw_events', () => {
      const d = decode(recordOf(kycMessage('c'), { offset: 0 }));
      expect(d.raw).to.deep.equal(kycMessage('c'));
    });

    it('names every failing field in the rejection and keeps the message as raw', () => {
      const bad = { ...kycMessage('c'), client_id: 42, persons: [{ lastname: 'Doe', birthdate: null }] };
      const d = decode(recordOf(bad, { offset: 0 }));
      const why = rejectionOf(d);
      expect(why.details).to.deep.include({ path: '$.client_id', rule: 'must be a string' });
      expect(why.details).to.deep.include({ path: '$.persons[0].firstname', rule: 'is required' });
      expect(why.reason).to.match(/^invalid client data message: /);
      expect(why.reason).to.contain('$.client_id must be a string').and.to.contain('$.persons[0].firstname is required');
      expect(d.raw).to.deep.equal(bad);
    });

    it('does not quote field values in a field rejection', () => {
      const why = rejectionOf(decode(recordOf({ ...kycMessage('c'), version: 'Ada-Lovelace-1815' }, { offset: 0 })));
      expect(why.details).to.deep.equal([{ path: '$.version', rule: 'must be exactly "1.0"' }]);
      expect(why.reason).not.to.contain('Lovelace');
    });

    it('refuses a KYB message without a company profile, naming the field', () => {
      const { company_profile: _, ...noProfile } = kybMessage('c');
      expect(rejectionOf(decode(recordOf(noProfile, { offset: 0 }))).details).to.deep.include({
        path: '$.company_profile',
        rule: 'is required when traitement_type is KYB',
      });
    });
  });

  describe('command-topic messages', () => {
    const determine = {
      command_type: 'DetermineDocumentRequirements',
      command_id: 'cmd-1',
      case_id: 'case-9',
      entity_id: 'p-1',
      entity_type: 'PERSON',
    };

    it('turns a valid command into that command, stamped with the key and record time', () => {
      const d = decode(recordOf(determine, { topic: COMMAND_TOPIC, offset: 12 }));
      expect(commandOf(d)).to.deep.equal({
        ...determine,
        key: 'case_commands/0/12',
        content_hash: contentHash(Buffer.from(JSON.stringify(determine))),
        timestamp: RECORD_TIME,
      });
      expect(d.raw).to.equal(null);
    });

    it("binds the key to the record's bytes: the same value hashes the same, another value under the same key does not", () => {
      const at = { topic: COMMAND_TOPIC, offset: 3, headers: { 'message-id': 'm-1' } };
      const first = commandOf(decode(recordOf(determine, at)));
      const again = commandOf(decode(recordOf(determine, { ...at, offset: 4 })));
      const other = commandOf(decode(recordOf({ ...determine, entity_id: 'p-2' }, { ...at, offset: 5 })));
      expect(again.content_hash).to.equal(first.content_hash);
      expect(other.key).to.equal(first.key);
      expect(other.content_hash).to.not.equal(first.content_hash);
    });

    it('turns an UpdateDocumentStatus into a command with its defaults filled in', () => {
      const update = { ...UPDATE, updated_by_actor_type: 'USER', updated_by_actor_id: 'u-1' };
      const cmd = commandOf(decode(recordOf(update, { topic: COMMAND_TOPIC, offset: 1, headers: { 'message-id': 'm-2' } })));
      expect(cmd).to.deep.equal({
        ...update,
        metadata_changes: {},
        notes_to_add: [],
        key: 'm-2',
        content_hash: contentHash(Buffer.from(JSON.stringify(update))),
        timestamp: RECORD_TIME,
      });
    });

    it('refuses an invalid command naming its fields, without keeping it as raw', () => {
      const d = decode(recordOf({ ...determine, case_id: '', entity_type: 'ROBOT' }, { topic: COMMAND_TOPIC, offset: 0 }));
      const why = rejectionOf(d);
      expect(why.reason).to.match(/^invalid case command: /);
      expect(why.details).to.deep.equal([
        { path: '$.case_id', rule: 'must be a non-empty string' },
        { path: '$.entity_type', rule: 'must be one of PERSON, COMPANY' },
      ]);
      expect(d.raw).to.equal(null);
    });

    it('refuses an unknown command type', () => {
      const why = rejectionOf(decode(recordOf({ ...determine, command_type: 'DeleteCase' }, { topic: COMMAND_TOPIC, offset: 0 })));
      expect(why.details).to.deep.equal([
        {
          path: '$.command_type',
          rule: 'must be one of DetermineDocumentRequirements, UpdateDocumentStatus, RetryNotificationLookup, CloseCase, EraseSubject, PlaceLegalHold, LiftLegalHold',
        },
      ]);
    });
  });

  describe('values that are not a JSON object', () => {
    it('refuses a record without a value, or with an empty one', () => {
      for (const value of [null, Buffer.alloc(0)]) {
        const d = decode(withValue(value));
        expect(rejectionOf(d)).to.deep.equal({ reason: 'the message has no value', details: [{ path: '$', rule: 'is required' }] });
        expect(d.raw).to.equal(null);
      }
    });

    it('refuses bytes that are not UTF-8', () => {
      const why = rejectionOf(decode(withValue(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))));
      expect(why).to.deep.equal({ reason: 'the message value is not valid UTF-8', details: [{ path: '$', rule: 'must be UTF-8 text' }] });
    });

    it('refuses text that is not JSON without quoting it, so no personal data reaches the logs', () => {
      for (const text of ['hello Ada Lovelace', '{"firstname": "Ada Lovelace", oops}', '{"firstname": "Ada Lovelace"']) {
        const d = decode(recordOf(text, { offset: 0 }));
        const why = rejectionOf(d);
        expect(why.reason, text).to.match(/^the message value is not valid JSON( \(at character \d+\))?$/);
        expect(JSON.stringify(why), text).not.to.contain('Lovelace');
        expect(why.details).to.deep.equal([{ path: '$', rule: 'must be valid JSON' }]);
        expect(d.raw).to.equal(null);
      }
    });

    it('says where the JSON breaks when it can', () => {
      expect(rejectionOf(decode(recordOf('{"client_id": 42', { offset: 0 }))).reason).to.equal(
        'the message value is not valid JSON (at character 16)',
      );
    });

    it('refuses a JSON array, null, string or number, saying what it got', () => {
      const cases: [string, string][] = [
        ['[1, 2]', 'an array'],
        ['null', 'null'],
        ['"Ada Lovelace"', 'string'],
        ['42', 'number'],
      ];
      for (const [text, got] of cases) {
        const d = decode(recordOf(text, { offset: 0 }));
        expect(rejectionOf(d), text).to.deep.equal({
          reason: `the message value must be a JSON object, got ${got}`,
          details: [{ path: '$', rule: 'must be a JSON object' }],
        });
        expect(d.raw).to.equal(null);
      }
    });
  });

  describe('hostile input', () => {
    it('refuses a persons array of 130,000 numbers by its length, with one bounded rejection instead of a crash', () => {
      const d = decode(recordOf({ ...kycMessage('c'), persons: Array.from({ length: 130_000 }, (_, i) => i) }, { offset: 0 }));
      expect(rejectionOf(d).details).to.deep.equal([{ path: '$.persons', rule: 'must have at most 200 items' }]);
    });

    it('lists at most MAX_ERROR_DETAILS failing fields and counts the others', () => {
      const d = decodeInbound(topics, { ...DEFAULT_DECODE_LIMITS, maxErrorDetails: 3 })(
        recordOf({ ...kycMessage('c'), persons: Array.from({ length: 150 }, () => 7) }, { offset: 0 }),
      );
      const why = rejectionOf(d);
      expect(why.details).to.deep.equal([0, 1, 2].map((i) => ({ path: `$.persons[${i}]`, rule: 'must be an object' })));
      expect(why.omitted).to.equal(147);
      expect(why.reason).to.match(/; and 147 more$/);
    });

    it('refuses a value larger than MAX_RECORD_BYTES before reading it, naming its size and the limit', () => {
      const d = decodeInbound(topics, { ...DEFAULT_DECODE_LIMITS, maxRecordBytes: 2_000 })(
        recordOf({ ...kycMessage('c'), type: 'x'.repeat(3_000) }, { offset: 0 }),
      );
      expect(rejectionOf(d).reason).to.match(/^the message value is 3\d{3} bytes, more than the limit of 2000$/);
      expect(d.raw).to.equal(null);
    });

    it('refuses headers larger than MAX_HEADER_BYTES in all', () => {
      const d = decode(recordOf(kycMessage('c'), { offset: 0, headers: { a: 'x'.repeat(10_000), b: 'y'.repeat(10_000) } }));
      expect(rejectionOf(d).reason).to.equal('the message headers are 20002 bytes, more than the limit of 16384');
    });

    it('refuses a message-id longer than MAX_IDEMPOTENCY_KEY_LENGTH or with control characters', () => {
      const long = rejectionOf(decode(recordOf(kycMessage('c'), { offset: 0, headers: { 'message-id': 'm'.repeat(257) } })));
      expect(long.reason).to.equal('the message-id header is 257 characters long, more than the limit of 256');
      const control = rejectionOf(decode(recordOf(kycMessage('c'), { offset: 0, headers: { 'message-id': 'a\u0000b' } })));
      expect(control.reason).to.equal('the message-id header contains control characters');
    });

    it('refuses 100,000-deep nesting cleanly, before anything recursive sees it', () => {
      for (const text of ['['.repeat(100_000) + ']'.repeat(100_000), `{"client_id": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`]) {
        expect(rejectionOf(decode(recordOf(text, { offset: 0 })))).to.deep.equal({
          reason: 'the message value nests deeper than 32 levels',
          details: [{ path: '$', rule: 'must nest at most 32 levels' }],
        });
      }
    });

    it('does not count brackets inside strings as nesting', () => {
      const cmd = commandOf(decode(recordOf({ ...kycMessage('c'), type: '[[[[{{{{'.repeat(10) }, { offset: 0 })));
      expect(cmd.command_type).to.equal('CreateCase');
    });

    it('refuses a string field longer than MAX_STRING_LENGTH, naming its path', () => {
      const why = rejectionOf(decode(recordOf({ ...kycMessage('c'), client_id: 'c'.repeat(4_097) }, { offset: 0 })));
      expect(why.details).to.deep.equal([{ path: '$.client_id', rule: 'must be at most 4096 characters long' }]);
    });

    it('refuses more notes_to_add than MAX_NOTES_PER_COMMAND and more metadata keys than MAX_LIST_ITEMS', () => {
      const metadata_changes = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
      const d = decode(
        recordOf({ ...UPDATE, notes_to_add: Array.from({ length: 21 }, () => 'n'), metadata_changes }, { topic: COMMAND_TOPIC, offset: 0 }),
      );
      expect(rejectionOf(d).details).to.deep.equal([
        { path: '$.metadata_changes', rule: 'must have at most 100 keys' },
        { path: '$.notes_to_add', rule: 'must have at most 20 items' },
      ]);
    });

    it('turns an exception while decoding into a rejection naming only the error type', () => {
      const record = recordOf(kycMessage('c'), { offset: 0 });
      const hostile: InboundRecord = {
        ...record,
        headers: Object.defineProperty({}, 'message-id', {
          enumerable: true,
          get: () => {
            throw new TypeError('Ada Lovelace');
          },
        }),
      };
      const d = decode(hostile);
      expect(rejectionOf(d)).to.deep.equal({ reason: 'the message could not be decoded: TypeError', details: [] });
    });
  });

  it('refuses a record from a topic it does not consume, whatever its value', () => {
    const d = decode(recordOf(kycMessage('c'), { topic: 'somewhere_else', offset: 0 }));
    expect(rejectionOf(d).reason).to.equal('unexpected topic somewhere_else');
    expect(d.raw).to.equal(null);
  });

  it('decodes every record in order as it arrives, and a bad one does not end the stream', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const good = recordOf(kycMessage('c'), { offset: 0 });
      const bad = recordOf('not json', { offset: 1 });
      const cmd = recordOf(
        { command_type: 'DetermineDocumentRequirements', command_id: 'x', case_id: 'y', entity_id: 'z', entity_type: 'COMPANY' },
        {
          topic: COMMAND_TOPIC,
          offset: 0,
        },
      );
      const out = cold('a-b--c|', { a: good, b: bad, c: cmd }).pipe(decodeRecord(topics));
      expectObservable(out).toBe('a-b--c|', { a: decode(good), b: decode(bad), c: decode(cmd) });
    });
  });

  describe('actorKeyOf', () => {
    it('gives a creation and a later command for the same case the same actor', () => {
      const created = decode(recordOf(kycMessage('c'), { offset: 0 }));
      const caseId = commandOf(created).case_id;
      const later = decode(
        recordOf(
          { command_type: 'DetermineDocumentRequirements', command_id: 'x', case_id: caseId, entity_id: 'p', entity_type: 'PERSON' },
          {
            topic: COMMAND_TOPIC,
            offset: 3,
          },
        ),
      );
      expect(actorKeyOf(created)).to.equal(`case:${caseId}`);
      expect(actorKeyOf(later)).to.equal(actorKeyOf(created));
    });

    it('gives different cases different actors', () => {
      expect(actorKeyOf(decode(recordOf(kycMessage('c'), { offset: 0 })))).not.to.equal(
        actorKeyOf(decode(recordOf(kycMessage('c'), { offset: 1 }))),
      );
    });

    it('keeps the rejections of one partition on one actor, in order, apart from other partitions', () => {
      const r0 = actorKeyOf(decode(recordOf('nope', { partition: 0, offset: 1 })));
      const r0b = actorKeyOf(decode(recordOf('[]', { partition: 0, offset: 9 })));
      const r1 = actorKeyOf(decode(recordOf('nope', { partition: 1, offset: 1 })));
      const c0 = actorKeyOf(decode(recordOf('nope', { topic: COMMAND_TOPIC, partition: 0, offset: 1 })));
      expect(r0).to.equal(r0b);
      expect(new Set([r0, r1, c0]).size).to.equal(3);
      expect(r0.startsWith('case:')).to.equal(false);
    });
  });
});
