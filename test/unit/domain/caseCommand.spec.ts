import { expect } from 'chai';
import { caseCommandDecoder, decodeCaseCommand, DocumentStatus } from '../../../src/domain/caseCommand.js';
import { DEFAULT_DECODE_LIMITS } from '../../../src/domain/decodeLimits.js';
import type { FieldError } from '../../../src/domain/rejection.js';
import { leftOf, pathsOf, rightOf, ruleAt } from './fixtures.js';

type Raw = Record<string, unknown>;

const determine = (patch: Raw = {}): Raw => ({
  command_type: 'DetermineDocumentRequirements',
  command_id: 'cmd-1',
  case_id: 'case-1',
  entity_id: 'person-1',
  entity_type: 'PERSON',
  ...patch,
});

const update = (patch: Raw = {}): Raw => ({
  command_type: 'UpdateDocumentStatus',
  command_id: 'cmd-2',
  case_id: 'case-1',
  document_requirement_id: 'doc-1',
  new_status: 'UPLOADED',
  ...patch,
});

const retry = (patch: Raw = {}): Raw => ({
  command_type: 'RetryNotificationLookup',
  command_id: 'cmd-3',
  case_id: 'case-1',
  trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD',
  ...patch,
});

const without = (raw: Raw, field: string): Raw => {
  const copy = { ...raw };
  delete copy[field];
  return copy;
};

const errorsOf = (input: unknown): FieldError[] => leftOf(decodeCaseCommand(input));

describe('decodeCaseCommand', () => {
  describe('DetermineDocumentRequirements', () => {
    for (const entity_type of ['PERSON', 'COMPANY']) {
      it(`decodes a request for the documents of a ${entity_type}`, () => {
        expect(rightOf(decodeCaseCommand(determine({ entity_type })))).to.deep.equal({
          command_type: 'DetermineDocumentRequirements',
          command_id: 'cmd-1',
          case_id: 'case-1',
          entity_id: 'person-1',
          entity_type,
        });
      });
    }

    it('drops unknown fields', () => {
      expect(rightOf(decodeCaseCommand(determine({ priority: 'HIGH' })))).to.not.have.property('priority');
    });

    for (const field of ['command_id', 'case_id', 'entity_id', 'entity_type']) {
      it(`rejects a request without ${field}, naming $.${field} as "is required"`, () => {
        expect(errorsOf(without(determine(), field))).to.deep.equal([{ path: `$.${field}`, rule: 'is required' }]);
      });
    }

    for (const entity_type of ['person', 'DIRECTOR', 'BENEFICIAL_OWNER', '', 1]) {
      it(`rejects entity_type ${JSON.stringify(entity_type)}, naming $.entity_type and the allowed values`, () => {
        const errors = errorsOf(determine({ entity_type }));
        expect(pathsOf(errors)).to.deep.equal(['$.entity_type']);
        expect(ruleAt(errors, '$.entity_type')).to.equal('must be one of PERSON, COMPANY');
      });
    }

    for (const field of ['command_id', 'case_id', 'entity_id']) {
      it(`rejects an empty or blank ${field}, naming $.${field}`, () => {
        expect(pathsOf(errorsOf(determine({ [field]: '' })))).to.deep.equal([`$.${field}`]);
        expect(pathsOf(errorsOf(determine({ [field]: '   ' })))).to.deep.equal([`$.${field}`]);
      });
    }

    it('names every missing field of a bare request at once', () => {
      expect(pathsOf(errorsOf({ command_type: 'DetermineDocumentRequirements' }))).to.have.members([
        '$.command_id',
        '$.case_id',
        '$.entity_id',
        '$.entity_type',
      ]);
    });
  });

  describe('UpdateDocumentStatus', () => {
    it('has exactly the six documented statuses', () => {
      expect([...DocumentStatus]).to.deep.equal([
        'AWAITING_UPLOAD',
        'UPLOADED',
        'VERIFIED_SYSTEM',
        'VERIFIED_MANUAL',
        'REJECTED',
        'NOT_APPLICABLE',
      ]);
    });

    for (const new_status of DocumentStatus) {
      it(`decodes a move to ${new_status}`, () => {
        expect(rightOf(decodeCaseCommand(update({ new_status })))).to.include({
          command_type: 'UpdateDocumentStatus',
          new_status,
        });
      });
    }

    it('decodes the optional actor, metadata changes and notes when given', () => {
      const cmd = rightOf(
        decodeCaseCommand(
          update({
            updated_by_actor_type: 'ANALYST',
            updated_by_actor_id: 'analyst-9',
            metadata_changes: { file_ref: 's3://bucket/p.pdf', pages: 2 },
            notes_to_add: ['blurry scan', 'asked again'],
          }),
        ),
      );
      expect(cmd).to.deep.equal({
        command_type: 'UpdateDocumentStatus',
        command_id: 'cmd-2',
        case_id: 'case-1',
        document_requirement_id: 'doc-1',
        new_status: 'UPLOADED',
        updated_by_actor_type: 'ANALYST',
        updated_by_actor_id: 'analyst-9',
        metadata_changes: { file_ref: 's3://bucket/p.pdf', pages: 2 },
        notes_to_add: ['blurry scan', 'asked again'],
      });
    });

    it('defaults an absent actor to null, metadata changes to {} and notes to []', () => {
      expect(rightOf(decodeCaseCommand(update()))).to.deep.include({
        updated_by_actor_type: null,
        updated_by_actor_id: null,
        metadata_changes: {},
        notes_to_add: [],
      });
    });

    it('treats null metadata changes and notes like absent ones', () => {
      expect(rightOf(decodeCaseCommand(update({ metadata_changes: null, notes_to_add: null })))).to.deep.include({
        metadata_changes: {},
        notes_to_add: [],
      });
    });

    for (const new_status of ['DONE', 'uploaded', 'Verified_Manual', '', 3]) {
      it(`rejects the unknown status ${JSON.stringify(new_status)}, naming $.new_status and the allowed values`, () => {
        const errors = errorsOf(update({ new_status }));
        expect(pathsOf(errors)).to.deep.equal(['$.new_status']);
        expect(ruleAt(errors, '$.new_status')).to.equal(
          'must be one of AWAITING_UPLOAD, UPLOADED, VERIFIED_SYSTEM, VERIFIED_MANUAL, REJECTED, NOT_APPLICABLE',
        );
      });
    }

    for (const field of ['command_id', 'case_id', 'document_requirement_id', 'new_status']) {
      it(`rejects an update without ${field}, naming $.${field} as "is required"`, () => {
        expect(errorsOf(without(update(), field))).to.deep.equal([{ path: `$.${field}`, rule: 'is required' }]);
      });
    }

    for (const [label, metadata_changes] of [
      ['an array', [{ a: 1 }]],
      ['a string', 'file=p.pdf'],
      ['a number', 3],
    ] as const) {
      it(`rejects metadata_changes given as ${label}, naming $.metadata_changes`, () => {
        expect(errorsOf(update({ metadata_changes }))).to.deep.equal([{ path: '$.metadata_changes', rule: 'must be an object' }]);
      });
    }

    it('rejects notes_to_add that is not an array, naming $.notes_to_add', () => {
      expect(errorsOf(update({ notes_to_add: 'a note' }))).to.deep.equal([{ path: '$.notes_to_add', rule: 'must be an array' }]);
    });

    it('rejects a non-string note, naming its index in $.notes_to_add', () => {
      expect(errorsOf(update({ notes_to_add: ['ok', 42] }))).to.deep.equal([{ path: '$.notes_to_add[1]', rule: 'must be a string' }]);
    });

    for (const field of ['updated_by_actor_type', 'updated_by_actor_id']) {
      it(`rejects a non-string ${field}, naming $.${field}`, () => {
        expect(errorsOf(update({ [field]: 7 }))).to.deep.equal([{ path: `$.${field}`, rule: 'must be a string' }]);
      });
    }

    it('names every failing field of a bad update at once', () => {
      const errors = errorsOf({
        command_type: 'UpdateDocumentStatus',
        command_id: 'c',
        new_status: 'DONE',
        notes_to_add: [1],
        metadata_changes: [],
      });
      expect(pathsOf(errors)).to.have.members([
        '$.case_id',
        '$.document_requirement_id',
        '$.new_status',
        '$.notes_to_add[0]',
        '$.metadata_changes',
      ]);
    });
  });

  describe('RetryNotificationLookup', () => {
    it('decodes a retry of the failed rule lookup of one trigger of a case', () => {
      expect(rightOf(decodeCaseCommand(retry({ priority: 'HIGH' })))).to.deep.equal({
        command_type: 'RetryNotificationLookup',
        command_id: 'cmd-3',
        case_id: 'case-1',
        trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD',
      });
    });

    for (const field of ['command_id', 'case_id', 'trigger']) {
      it(`rejects a retry without ${field}, naming $.${field} as "is required"`, () => {
        expect(errorsOf(without(retry(), field))).to.deep.equal([{ path: `$.${field}`, rule: 'is required' }]);
      });

      it(`rejects a blank or non-string ${field}, naming $.${field}`, () => {
        expect(pathsOf(errorsOf(retry({ [field]: '  ' })))).to.deep.equal([`$.${field}`]);
        expect(pathsOf(errorsOf(retry({ [field]: 7 })))).to.deep.equal([`$.${field}`]);
      });
    }

    it('rejects a trigger longer than the string limit, like every other field', () => {
      const decode = caseCommandDecoder({ ...DEFAULT_DECODE_LIMITS, maxStringLength: 40 });
      expect(pathsOf(leftOf(decode(retry({ trigger: `CASE_CREATED_KYC_${'X'.repeat(40)}` }))))).to.deep.equal(['$.trigger']);
      expect(rightOf(decode(retry())).command_type).to.equal('RetryNotificationLookup');
    });
  });

  describe('the command type', () => {
    for (const command_type of ['CreateCase', 'updateDocumentStatus', 'DeleteCase', '', 5, null]) {
      it(`rejects command_type ${JSON.stringify(command_type)}, naming $.command_type`, () => {
        const errors = errorsOf(update({ command_type }));
        expect(pathsOf(errors)).to.deep.equal(['$.command_type']);
        expect(ruleAt(errors, '$.command_type')).to.match(/DetermineDocumentRequirements, UpdateDocumentStatus/);
      });
    }

    it('rejects a command without command_type, naming $.command_type as "is required"', () => {
      expect(errorsOf(without(update(), 'command_type'))).to.deep.equal([{ path: '$.command_type', rule: 'is required' }]);
    });

    it('decodes fields by the command type it names, not by the fields present', () => {
      // An update's fields under a determine command type: the determine fields are what is missing.
      expect(pathsOf(errorsOf(update({ command_type: 'DetermineDocumentRequirements' })))).to.have.members([
        '$.entity_id',
        '$.entity_type',
      ]);
    });

    for (const [label, input] of [
      ['null', null],
      ['an array', [update()]],
      ['a string', 'UpdateDocumentStatus'],
      ['a number', 1],
    ] as const) {
      it(`rejects ${label} as a whole, naming $ as "must be an object"`, () => {
        expect(errorsOf(input)).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
      });
    }
  });
});
