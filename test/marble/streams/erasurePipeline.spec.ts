import { expect } from 'chai';
import { idFor } from '../../../src/domain/deterministicId.js';
import { isEventOf } from '../../../src/domain/events.js';
import { casePipeline } from '../../../src/streams/casePipeline.js';
import type { Completion } from '../../../src/streams/ports.js';
import { FakePorts } from '../../support/fakePorts.js';
import { newTestScheduler } from '../../support/marbles.js';
import { CLIENT_TOPIC, COMMAND_TOPIC, kybMessage, recordOf } from '../../support/records.js';

const create = recordOf(kybMessage('client-kyb'), { offset: 0 });
const caseId = idFor('kyc_events/0/0', 'case');

const command = (offset: number, body: Record<string, unknown>) =>
  recordOf({ command_id: `cmd-${offset}`, case_id: caseId, ...body }, { topic: COMMAND_TOPIC, offset });

/** Runs the records through the case pipeline over fake ports; the completions, in order. */
const run = (fake: FakePorts, ...records: ReturnType<typeof recordOf>[]): Completion[] => {
  const scheduler = newTestScheduler();
  const completions: Completion[] = [];
  scheduler.run(({ cold }) => {
    cold(
      `(${records.map((_, i) => String.fromCharCode(97 + i)).join('')}|)`,
      Object.fromEntries(records.map((r, i) => [String.fromCharCode(97 + i), r])),
    )
      .pipe(
        casePipeline(fake.ports, {
          topics: { clientData: CLIENT_TOPIC, commands: COMMAND_TOPIC },
          actors: { maxActiveCases: 10, idleMs: 1000, scheduler },
          handler: { maxConflictRetries: 3, retryInitialMs: 10, retryMaxMs: 100, scheduler },
        }),
      )
      .subscribe((c) => completions.push(c));
  });
  return completions;
};

describe('erasure through the case pipeline', () => {
  it("erases a beneficial owner of a KYB case found on its company's stream: the event is recorded, then the stores are masked", () => {
    const fake = new FakePorts();
    const [created] = run(fake, create);
    const owner = fake.events.find(isEventOf('BeneficialOwnerAdded'))!.payload.beneficial_owner_id;
    const [erased] = run(
      fake,
      command(1, { command_type: 'EraseSubject', subject: { kind: 'beneficial_owner', id: owner }, reason: 'GDPR', requested_by: 'dpo' }),
    );
    expect(created?.outcome).to.equal('processed');
    expect(erased).to.include({ outcome: 'processed', reason: null });
    expect(fake.stream(caseId).at(-1)).to.deep.include({
      event_type: 'PersonalDataErased',
      payload: {
        subject: { kind: 'beneficial_owner', id: owner },
        reason: 'GDPR',
        requested_by: 'dpo',
        fields: ['firstname', 'lastname', 'birthdate'],
      },
    });
    expect(fake.erasures.map((e) => e.subject)).to.deep.equal([{ kind: 'beneficial_owner', id: owner }]);
    expect(fake.commandResults.map((c) => c.outcome)).to.deep.equal(['processed']);
  });

  it('refuses an erasure while the case is under legal hold, with the reason in its result and a dead letter, masking nothing', () => {
    const fake = new FakePorts();
    run(fake, create);
    const person = fake.events.find(isEventOf('PersonAddedToCase'))!.payload.person_id;
    const completions = run(
      fake,
      command(1, { command_type: 'PlaceLegalHold', reason: 'AML investigation', placed_by: 'mlro' }),
      command(2, { command_type: 'EraseSubject', subject: { kind: 'person', id: person }, reason: 'GDPR', requested_by: 'dpo' }),
    );
    expect(completions.map((c) => c.outcome)).to.deep.equal(['processed', 'rejected']);
    expect(completions[1]?.reason).to.match(/under legal hold since .* \(AML investigation\)/);
    expect(fake.deadLetters).to.have.length(1);
    expect(fake.erasures).to.deep.equal([]);
    expect(fake.stream(caseId).map((e) => e.event_type)).not.to.include('PersonalDataErased');
  });
});
