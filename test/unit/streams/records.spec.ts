import { expect } from 'chai';
import {
  describePosition,
  headerBytes,
  idempotencyKey,
  MESSAGE_ID_CEILING,
  messageIdProblem,
  positionOf,
  type InboundRecord,
} from '../../../src/streams/records.js';
import { recordOf } from '../../support/records.js';

const withHeaders = (headers: InboundRecord['headers'], at = { partition: 2, offset: 41 }): InboundRecord => ({
  ...recordOf({}, at),
  headers,
});

describe('records', () => {
  describe('idempotencyKey', () => {
    it('uses the message-id header when it is a string', () => {
      expect(idempotencyKey(withHeaders({ 'message-id': 'msg-1' }))).to.equal('msg-1');
    });

    it('uses the message-id header when it arrives as bytes, as kafkajs delivers headers', () => {
      expect(idempotencyKey(withHeaders({ 'message-id': Buffer.from('msg-é-2', 'utf8') }))).to.equal('msg-é-2');
    });

    it('trims whitespace around the header', () => {
      expect(idempotencyKey(withHeaders({ 'message-id': '  msg-3\n' }))).to.equal('msg-3');
    });

    it('falls back to topic/partition/offset when the header is missing', () => {
      expect(idempotencyKey(withHeaders({}))).to.equal('kyc_events/2/41');
      expect(idempotencyKey(withHeaders({ 'message-id': undefined }))).to.equal('kyc_events/2/41');
    });

    it('falls back to topic/partition/offset when the header is blank, as text or as bytes', () => {
      for (const blank of ['', '   ', Buffer.from(''), Buffer.from(' \t ')]) {
        expect(idempotencyKey(withHeaders({ 'message-id': blank })), JSON.stringify(String(blank))).to.equal('kyc_events/2/41');
      }
    });

    it('falls back to topic/partition/offset for a header it must not use: with control characters, or beyond any allowed length', () => {
      for (const unusable of ['msg\u0000-4', 'a\u001bb', 'm'.repeat(MESSAGE_ID_CEILING + 1)]) {
        expect(idempotencyKey(withHeaders({ 'message-id': unusable }))).to.equal('kyc_events/2/41');
      }
      expect(idempotencyKey(withHeaders({ 'message-id': 'm'.repeat(MESSAGE_ID_CEILING) }))).to.equal('m'.repeat(MESSAGE_ID_CEILING));
    });

    it('ignores other headers', () => {
      expect(idempotencyKey(withHeaders({ 'correlation-id': 'x', 'Message-Id': 'y' }))).to.equal('kyc_events/2/41');
    });

    it('gives two records at different positions different keys, and the same record the same key', () => {
      const a = recordOf({}, { offset: 1 });
      expect(idempotencyKey(a)).to.equal(idempotencyKey({ ...a }));
      expect(idempotencyKey(a)).not.to.equal(idempotencyKey(recordOf({}, { offset: 2 })));
      expect(idempotencyKey(a)).not.to.equal(idempotencyKey(recordOf({}, { partition: 1, offset: 1 })));
    });
  });

  describe('messageIdProblem', () => {
    it('accepts an absent header and one within the length limit', () => {
      expect(messageIdProblem(withHeaders({}), 8)).to.equal(null);
      expect(messageIdProblem(withHeaders({ 'message-id': ' 12345678 ' }), 8)).to.equal(null);
    });

    it('names a header longer than the limit, and one with control characters', () => {
      expect(messageIdProblem(withHeaders({ 'message-id': '123456789' }), 8)).to.equal(
        'the message-id header is 9 characters long, more than the limit of 8',
      );
      expect(messageIdProblem(withHeaders({ 'message-id': Buffer.from('a\u007fb') }), 8)).to.equal(
        'the message-id header contains control characters',
      );
    });
  });

  describe('headerBytes', () => {
    it('counts the bytes of every header name and value, text or bytes', () => {
      expect(headerBytes(withHeaders({ ab: 'é', c: Buffer.alloc(5), d: undefined }))).to.equal(2 + 2 + 1 + 5 + 1);
    });
  });

  describe('describePosition', () => {
    it('writes a position as topic/partition/offset', () => {
      expect(describePosition({ topic: 'case_commands', partition: 3, offset: '9007199254740993' })).to.equal(
        'case_commands/3/9007199254740993',
      );
    });
  });

  describe('positionOf', () => {
    it('keeps only where the record sits, not its content', () => {
      expect(positionOf(recordOf({ secret: 'x' }, { partition: 1, offset: 5 }))).to.deep.equal({
        topic: 'kyc_events',
        partition: 1,
        offset: '5',
      });
    });
  });
});
