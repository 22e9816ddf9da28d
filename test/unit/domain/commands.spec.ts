import { expect } from 'chai';
import { createCaseCommand, lookupRetryCommand } from '../../../src/domain/commands.js';
import { decodeOrThrow, rawKycMessage, T0 } from './fixtures.js';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createCaseCommand', () => {
  const message = decodeOrThrow(rawKycMessage());

  it('makes a CreateCase command carrying the message, its idempotency key, content hash and timestamp', () => {
    const cmd = createCaseCommand(message, { key: 'key-1', content_hash: 'content-1', timestamp: T0 });
    expect(cmd.command_type).to.equal('CreateCase');
    expect(cmd.message).to.equal(message);
    expect(cmd.key).to.equal('key-1');
    expect(cmd.content_hash).to.equal('content-1');
    expect(cmd.timestamp).to.equal(T0);
  });

  it('derives the case id and command id from the idempotency key, so a redelivery creates the same case', () => {
    const a = createCaseCommand(message, { key: 'key-1', content_hash: 'content-1', timestamp: T0 });
    const b = createCaseCommand(message, { key: 'key-1', content_hash: 'content-1', timestamp: new Date('2030-01-01T00:00:00Z') });
    expect(a.case_id).to.equal(b.case_id);
    expect(a.command_id).to.equal(b.command_id);
  });

  it('gives a different case id and command id to a different idempotency key', () => {
    const a = createCaseCommand(message, { key: 'key-1', content_hash: 'content-1', timestamp: T0 });
    const b = createCaseCommand(message, { key: 'key-2', content_hash: 'content-1', timestamp: T0 });
    expect(a.case_id).to.not.equal(b.case_id);
    expect(a.command_id).to.not.equal(b.command_id);
  });

  it('uses distinct version-8 UUIDs for the case and the command', () => {
    const cmd = createCaseCommand(message, { key: 'key-1', content_hash: 'content-1', timestamp: T0 });
    expect(cmd.case_id).to.match(UUID_V8);
    expect(cmd.command_id).to.match(UUID_V8);
    expect(cmd.case_id).to.not.equal(cmd.command_id);
  });

  it("carries the message's ids, whose case and command ids are its own", () => {
    const cmd = createCaseCommand(message, { key: 'key-1', content_hash: 'content-1', timestamp: T0 });
    expect(cmd.ids.key).to.equal('key-1');
    expect([cmd.ids.of('case'), cmd.ids.of('command')]).to.deep.equal([cmd.case_id, cmd.command_id]);
  });
});

describe('lookupRetryCommand', () => {
  const failure = { case_id: 'case-1', trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD', failures: 1 };

  it('asks the case to retry the lookup of the failed trigger', () => {
    expect(lookupRetryCommand(failure)).to.deep.include({
      command_type: 'RetryNotificationLookup',
      case_id: 'case-1',
      trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD',
    });
    expect(lookupRetryCommand(failure).command_id).to.match(UUID_V8);
  });

  it('is the same command each time it is built for the same failure, so sending it again is a redelivery', () => {
    expect(lookupRetryCommand({ ...failure })).to.deep.equal(lookupRetryCommand(failure));
  });

  it('is a new command once the lookup failed again, so a later retry has a result of its own', () => {
    expect(lookupRetryCommand({ ...failure, failures: 2 }).command_id).to.not.equal(lookupRetryCommand(failure).command_id);
  });

  it('has a different id for another case or another trigger', () => {
    const id = lookupRetryCommand(failure).command_id;
    expect(lookupRetryCommand({ ...failure, case_id: 'case-2' }).command_id).to.not.equal(id);
    expect(lookupRetryCommand({ ...failure, trigger: 'CASE_CREATED_KYB_COMPANY_STANDARD' }).command_id).to.not.equal(id);
  });
});
