import { expect } from 'chai';
import type { DetermineDocumentRequirements, DocumentStatus, UpdateDocumentStatus } from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { CommandContext } from '../../../src/domain/commands.js';
import { decideCaseCreation, documentRequirementId } from '../../../src/domain/decideCaseCreation.js';
import { idsFor } from '../../../src/domain/deterministicId.js';
import { decideCaseCommand, decideDocumentRequirements, decideDocumentStatusUpdate } from '../../../src/domain/decideDocumentCommands.js';
import { isEventOf, type DomainEvent } from '../../../src/domain/events.js';
import { contentOf, creationCommand, leftOf, rawKybMessage, rawKycMessage, rightOf } from './fixtures.js';

const T1 = new Date('2024-04-02T08:00:00.000Z');

const kycCmd = creationCommand(rawKycMessage(), 'create-kyc');
const kycEvents = decideCaseCreation(kycCmd);
const kycState = evolveCase(emptyCase(kycCmd.case_id), kycEvents);
const kycPersonId = kycEvents.find(isEventOf('PersonAddedToCase'))!.payload.person_id;

const kybCmd = creationCommand(rawKybMessage(), 'create-kyb');
const kybEvents = decideCaseCreation(kybCmd);
const kybState = evolveCase(emptyCase(kybCmd.case_id), kybEvents);
const kybCompanyId = kybEvents.find(isEventOf('CaseCreated'))!.payload.company_id!;
const kybPersonIds = kybEvents.filter(isEventOf('PersonAddedToCase')).map((e) => e.payload.person_id);

const determine = (
  state: CaseState,
  entity_id: string,
  entity_type: 'PERSON' | 'COMPANY',
  key = 'determine-1',
): DetermineDocumentRequirements & CommandContext => ({
  command_type: 'DetermineDocumentRequirements',
  command_id: `cmd-${key}`,
  case_id: state.case_id,
  entity_id,
  entity_type,
  key,
  content_hash: contentOf([entity_id, entity_type]),
  timestamp: T1,
});

const update = (
  state: CaseState,
  document_requirement_id: string,
  new_status: DocumentStatus,
  patch: Partial<UpdateDocumentStatus> = {},
  key = 'update-1',
): UpdateDocumentStatus & CommandContext => ({
  command_type: 'UpdateDocumentStatus',
  command_id: `cmd-${key}`,
  case_id: state.case_id,
  document_requirement_id,
  new_status,
  updated_by_actor_type: null,
  updated_by_actor_id: null,
  metadata_changes: {},
  notes_to_add: [],
  key,
  content_hash: contentOf([document_requirement_id, new_status, patch]),
  timestamp: T1,
  ...patch,
});

const passportOf = (state: CaseState, personId: string) => documentRequirementId(idsFor(state.creation!.key), personId, 'PASSPORT');

describe('decideDocumentRequirements', () => {
  it('rejects a request for a case that does not exist, naming $.case_id', () => {
    const r = leftOf(decideDocumentRequirements(emptyCase('case-x'), determine(emptyCase('case-x'), 'p', 'PERSON')));
    expect(r.details).to.deep.equal([{ path: '$.case_id', rule: 'must name an existing case' }]);
    expect(r.reason).to.include('case-x');
  });

  it('rejects a person who is not in the case, naming $.entity_id', () => {
    const r = leftOf(decideDocumentRequirements(kycState, determine(kycState, 'stranger', 'PERSON')));
    expect(r.details.map((d) => d.path)).to.deep.equal(['$.entity_id']);
    expect(r.details[0]!.rule).to.match(/person of the case/);
    expect(r.reason).to.include('stranger');
  });

  it('rejects a person of another case, naming $.entity_id', () => {
    const r = leftOf(decideDocumentRequirements(kybState, determine(kybState, kycPersonId, 'PERSON')));
    expect(r.details.map((d) => d.path)).to.deep.equal(['$.entity_id']);
  });

  it('rejects a company request in a KYC case, which has no company, naming $.entity_id', () => {
    const r = leftOf(decideDocumentRequirements(kycState, determine(kycState, 'any-company', 'COMPANY')));
    expect(r.details.map((d) => d.path)).to.deep.equal(['$.entity_id']);
    expect(r.details[0]!.rule).to.match(/company of the case/);
  });

  it("rejects a company id that is not the case's company, naming $.entity_id", () => {
    const r = leftOf(decideDocumentRequirements(kybState, determine(kybState, 'other-company', 'COMPANY')));
    expect(r.details.map((d) => d.path)).to.deep.equal(['$.entity_id']);
  });

  it('rejects a person id named as a company and a company id named as a person', () => {
    expect(leftOf(decideDocumentRequirements(kybState, determine(kybState, kybPersonIds[0]!, 'COMPANY'))).details[0]!.path).to.equal(
      '$.entity_id',
    );
    expect(leftOf(decideDocumentRequirements(kybState, determine(kybState, kybCompanyId, 'PERSON'))).details[0]!.path).to.equal(
      '$.entity_id',
    );
  });

  it('adds nothing for a person whose documents the case already has', () => {
    expect(rightOf(decideDocumentRequirements(kycState, determine(kycState, kycPersonId, 'PERSON')))).to.deep.equal([]);
  });

  it('adds nothing for a company whose documents the case already has', () => {
    expect(rightOf(decideDocumentRequirements(kybState, determine(kybState, kybCompanyId, 'COMPANY')))).to.deep.equal([]);
  });

  describe('when an entity lacks some of its documents', () => {
    // The case as it would be had its last requirement (the person's proof of address) never been recorded.
    const lastDoc = kycEvents[kycEvents.length - 1]!;
    const partial = evolveCase(emptyCase(kycCmd.case_id), kycEvents.slice(0, -1));
    const cmd = determine(partial, kycPersonId, 'PERSON');
    const events = rightOf(decideDocumentRequirements(partial, cmd));

    it('adds only the missing document, under the id the case would have given it', () => {
      expect(events).to.have.length(1);
      const e = events[0]!;
      expect(e.event_type).to.equal('DocumentRequirementDetermined');
      expect(e.payload).to.deep.equal(lastDoc.payload);
      expect(e.payload).to.deep.include({ document_type: 'PROOF_OF_ADDRESS', entity_id: kycPersonId, is_required: true });
    });

    it("numbers it right after the case's last version", () => {
      expect(events[0]!.version).to.equal(partial.version + 1);
    });

    it('continues after later events too, such as a status update', () => {
      const moved = evolveCase(
        partial,
        rightOf(decideDocumentStatusUpdate(partial, update(partial, passportOf(partial, kycPersonId), 'UPLOADED'))),
      );
      expect(moved.version).to.equal(partial.version + 1);
      const again = rightOf(decideDocumentRequirements(moved, determine(moved, kycPersonId, 'PERSON')));
      expect(again.map((e) => e.version)).to.deep.equal([moved.version + 1]);
    });

    it("stamps the event with the command's time, case and metadata", () => {
      const e = events[0]!;
      expect(e.aggregate_id).to.equal(kycCmd.case_id);
      expect(e.timestamp).to.equal(T1);
      expect(e.metadata).to.deep.equal({ correlation_id: 'determine-1', causation_id: 'cmd-determine-1', content_hash: cmd.content_hash });
    });

    it('gives the event an id no event of the case already has', () => {
      expect(kycEvents.map((x) => x.event_id)).to.not.include(events[0]!.event_id);
    });

    it('decides the same event when the same command is decided again on the same state', () => {
      expect(rightOf(decideDocumentRequirements(partial, cmd))).to.deep.equal(events);
    });

    it('adds nothing once the added requirement is folded into the case', () => {
      const after = evolveCase(partial, events);
      expect(rightOf(decideDocumentRequirements(after, determine(after, kycPersonId, 'PERSON', 'determine-2')))).to.deep.equal([]);
    });
  });

  it('adds every missing company document, contiguously numbered, including audited statements under enhanced due diligence', () => {
    const eddCmd = creationCommand({ ...rawKybMessage(), type: 'ENHANCED_DUE_DILIGENCE' }, 'create-edd');
    const eddEvents = decideCaseCreation(eddCmd);
    const company = eddEvents.find(isEventOf('CaseCreated'))!.payload.company_id!;
    const withoutCompanyDocs = eddEvents.filter(
      (e) => !(e.event_type === 'DocumentRequirementDetermined' && e.payload.entity_type === 'COMPANY'),
    );
    const state = evolveCase(emptyCase(eddCmd.case_id), withoutCompanyDocs);
    const events = rightOf(decideDocumentRequirements(state, determine(state, company, 'COMPANY')));
    expect(events.map((e) => (e.event_type === 'DocumentRequirementDetermined' ? e.payload.document_type : null))).to.deep.equal([
      'COMPANY_REGISTRATION_CERTIFICATE',
      'ARTICLES_OF_ASSOCIATION',
      'FINANCIAL_STATEMENTS_AUDITED',
    ]);
    expect(events.map((e) => e.version)).to.deep.equal([state.version + 1, state.version + 2, state.version + 3]);
    expect(new Set(events.map((e) => e.event_id)).size).to.equal(3);
  });
});

describe('decideDocumentStatusUpdate', () => {
  const passport = passportOf(kycState, kycPersonId);

  it('rejects an update for a case that does not exist, naming $.case_id', () => {
    const empty = emptyCase('case-x');
    const r = leftOf(decideDocumentStatusUpdate(empty, update(empty, 'doc', 'UPLOADED')));
    expect(r.details).to.deep.equal([{ path: '$.case_id', rule: 'must name an existing case' }]);
  });

  it('rejects an update of a document the case does not have, naming $.document_requirement_id', () => {
    const r = leftOf(decideDocumentStatusUpdate(kycState, update(kycState, 'no-such-doc', 'UPLOADED')));
    expect(r.details).to.deep.equal([{ path: '$.document_requirement_id', rule: 'must name a document requirement of the case' }]);
    expect(r.reason).to.include('no-such-doc');
  });

  it("rejects an update of another case's document, naming $.document_requirement_id", () => {
    const r = leftOf(decideDocumentStatusUpdate(kybState, update(kybState, passport, 'UPLOADED')));
    expect(r.details.map((d) => d.path)).to.deep.equal(['$.document_requirement_id']);
  });

  it('records nothing when the document already has the requested status', () => {
    expect(rightOf(decideDocumentStatusUpdate(kycState, update(kycState, passport, 'AWAITING_UPLOAD')))).to.deep.equal([]);
  });

  it('records a DocumentStatusUpdated at the next version, from the current status to the new one', () => {
    const cmd = update(kycState, passport, 'UPLOADED', {
      updated_by_actor_type: 'CLIENT',
      updated_by_actor_id: 'client-user-1',
      metadata_changes: { file: 'passport.pdf' },
      notes_to_add: ['first upload'],
    });
    const events = rightOf(decideDocumentStatusUpdate(kycState, cmd));
    expect(events).to.deep.equal([
      {
        event_id: events[0]!.event_id,
        event_type: 'DocumentStatusUpdated',
        aggregate_id: kycState.case_id,
        timestamp: T1,
        version: kycState.version + 1,
        payload: {
          document_requirement_id: passport,
          new_status: 'UPLOADED',
          old_status: 'AWAITING_UPLOAD',
          updated_by: 'client-user-1',
          metadata_update: { file: 'passport.pdf' },
          notes_added: ['first upload'],
        },
        metadata: { correlation_id: 'update-1', causation_id: 'cmd-update-1', content_hash: cmd.content_hash },
      },
    ]);
    expect(kycEvents.map((x) => x.event_id)).to.not.include(events[0]!.event_id);
  });

  it('names the actor type as updater when there is no actor id', () => {
    const [e] = rightOf(
      decideDocumentStatusUpdate(kycState, update(kycState, passport, 'VERIFIED_MANUAL', { updated_by_actor_type: 'ANALYST' })),
    );
    expect(e!.event_type === 'DocumentStatusUpdated' && e!.payload.updated_by).to.equal('ANALYST');
  });

  it('names SYSTEM as updater when there is neither actor id nor actor type', () => {
    const [e] = rightOf(decideDocumentStatusUpdate(kycState, update(kycState, passport, 'VERIFIED_SYSTEM')));
    expect(e!.event_type === 'DocumentStatusUpdated' && e!.payload.updated_by).to.equal('SYSTEM');
  });

  it('records empty metadata changes and notes when none were given', () => {
    const [e] = rightOf(decideDocumentStatusUpdate(kycState, update(kycState, passport, 'REJECTED')));
    expect(e!.payload).to.deep.include({ metadata_update: {}, notes_added: [] });
  });

  it('decides the same event when the same command is decided again on the same state', () => {
    const cmd = update(kycState, passport, 'UPLOADED');
    expect(rightOf(decideDocumentStatusUpdate(kycState, cmd))).to.deep.equal(rightOf(decideDocumentStatusUpdate(kycState, cmd)));
  });

  describe('notes', () => {
    const notes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `note ${from + i}`);

    it('refuses an update whose notes would take the document beyond the limit, naming $.notes_to_add', () => {
      const first = rightOf(
        decideDocumentStatusUpdate(kycState, update(kycState, passport, 'UPLOADED', { notes_to_add: notes(3) }, 'n1'), 4),
      );
      const s1 = evolveCase(kycState, first);
      const r = leftOf(decideDocumentStatusUpdate(s1, update(s1, passport, 'REJECTED', { notes_to_add: notes(2, 3) }, 'n2'), 4));
      expect(r.details).to.deep.equal([{ path: '$.notes_to_add', rule: 'must not take the document beyond 4 notes' }]);
      expect(r.reason).to.equal(`document requirement ${passport} would hold more than 4 notes (it has 3)`);
    });

    it('accepts notes up to the limit exactly', () => {
      const first = rightOf(
        decideDocumentStatusUpdate(kycState, update(kycState, passport, 'UPLOADED', { notes_to_add: notes(3) }, 'n1'), 4),
      );
      const s1 = evolveCase(kycState, first);
      expect(
        rightOf(decideDocumentStatusUpdate(s1, update(s1, passport, 'REJECTED', { notes_to_add: notes(1, 3) }, 'n2'), 4)),
      ).to.have.length(1);
    });

    it('bounds a document to 500 notes unless told otherwise, however many updates bring them', () => {
      let state = kycState;
      const statuses = ['UPLOADED', 'REJECTED'] as const;
      for (let i = 0; i < 25; i += 1) {
        state = evolveCase(
          state,
          rightOf(
            decideDocumentStatusUpdate(state, update(state, passport, statuses[i % 2]!, { notes_to_add: notes(20, i * 20) }, `flood-${i}`)),
          ),
        );
      }
      expect(state.documents.get(passport)!.notes).to.equal(500);
      expect(
        leftOf(decideDocumentStatusUpdate(state, update(state, passport, 'VERIFIED_MANUAL', { notes_to_add: ['one more'] }, 'flood-x')))
          .details[0]!.path,
      ).to.equal('$.notes_to_add');
    });
  });

  describe('a sequence of updates folded into the case', () => {
    const first = rightOf(decideDocumentStatusUpdate(kycState, update(kycState, passport, 'UPLOADED', {}, 'u1')));
    const s1 = evolveCase(kycState, first);
    const second = rightOf(decideDocumentStatusUpdate(s1, update(s1, passport, 'REJECTED', {}, 'u2')));
    const s2 = evolveCase(s1, second);

    it("takes the previous update's new status as the next update's old status", () => {
      expect(second[0]!.payload).to.deep.include({ old_status: 'UPLOADED', new_status: 'REJECTED' });
      expect(s2.documents.get(passport)!.status).to.equal('REJECTED');
    });

    it('numbers each update after the one before', () => {
      expect(first[0]!.version).to.equal(kycState.version + 1);
      expect(second[0]!.version).to.equal(kycState.version + 2);
      expect(s2.version).to.equal(kycState.version + 2);
    });

    it('gives each update its own event id', () => {
      expect(first[0]!.event_id).to.not.equal(second[0]!.event_id);
    });

    it('records nothing for a repeat of the status just set', () => {
      expect(rightOf(decideDocumentStatusUpdate(s2, update(s2, passport, 'REJECTED', {}, 'u3')))).to.deep.equal([]);
    });

    it('allows moving back to a status the document had before', () => {
      const [back] = rightOf(decideDocumentStatusUpdate(s2, update(s2, passport, 'AWAITING_UPLOAD', {}, 'u3')));
      expect(back!.payload).to.deep.include({ old_status: 'REJECTED', new_status: 'AWAITING_UPLOAD' });
    });

    it('leaves the other documents of the case untouched', () => {
      for (const [id, doc] of s2.documents) if (id !== passport) expect(doc.status).to.equal('AWAITING_UPLOAD');
    });
  });
});

describe('decideCaseCommand', () => {
  it('decides a DetermineDocumentRequirements command as a request for requirements', () => {
    const r = leftOf(decideCaseCommand(kycState, determine(kycState, 'stranger', 'PERSON')));
    expect(r.details[0]!.path).to.equal('$.entity_id');
    expect(rightOf(decideCaseCommand(kycState, determine(kycState, kycPersonId, 'PERSON')))).to.deep.equal([]);
  });

  it('decides an UpdateDocumentStatus command as a status update', () => {
    const passport = passportOf(kycState, kycPersonId);
    const events: DomainEvent[] = rightOf(decideCaseCommand(kycState, update(kycState, passport, 'UPLOADED')));
    expect(events.map((e) => e.event_type)).to.deep.equal(['DocumentStatusUpdated']);
  });

  it('rejects either command against a case that does not exist, naming $.case_id', () => {
    const empty = emptyCase('nope');
    expect(leftOf(decideCaseCommand(empty, determine(empty, 'p', 'PERSON'))).details[0]!.path).to.equal('$.case_id');
    expect(leftOf(decideCaseCommand(empty, update(empty, 'd', 'UPLOADED'))).details[0]!.path).to.equal('$.case_id');
  });
});
