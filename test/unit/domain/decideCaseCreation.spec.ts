import { expect } from 'chai';
import { decideCaseCreation, documentRequirementId } from '../../../src/domain/decideCaseCreation.js';
import { idsFor } from '../../../src/domain/deterministicId.js';
import { isEventOf, type DomainEvent } from '../../../src/domain/events.js';
import { clone, creationCommand, rawKybMessage, rawKycMessage, T0 } from './fixtures.js';

type Raw = Record<string, unknown>;

const streamOf = (events: readonly DomainEvent[], aggregate_id: string) =>
  events.filter((e) => e.aggregate_id === aggregate_id).sort((a, b) => a.version - b.version);

const expectContiguousFromOne = (events: readonly DomainEvent[]) =>
  expect(events.map((e) => e.version)).to.deep.equal(events.map((_, i) => i + 1));

describe('decideCaseCreation', () => {
  describe('a KYC case', () => {
    const raw = (): Raw => ({
      ...rawKycMessage(),
      persons: [
        { firstname: 'Ada', lastname: 'Lovelace', birthdate: '1815-12-10' },
        { firstname: 'Charles', lastname: 'Babbage', role_in_company: 'PARTNER' },
      ],
    });
    const cmd = creationCommand(raw());
    const events = decideCaseCreation(cmd);
    const caseStream = streamOf(events, cmd.case_id);

    it('records only case-stream events', () => {
      expect(caseStream).to.have.length(events.length);
      for (const e of events) {
        expect(['CaseCreated', 'PersonAddedToCase', 'DocumentRequirementDetermined']).to.include(e.event_type);
      }
    });

    it('opens the case with CaseCreated at version 1, with no company', () => {
      expect(events[0]!.event_type).to.equal('CaseCreated');
      expect(events[0]!.version).to.equal(1);
      expect(events[0]!.payload).to.deep.equal({
        client_id: 'client-42',
        case_type: 'STANDARD_DUE_DILIGENCE',
        case_version: '1.0',
        traitement_type: 'KYC',
        company_id: null,
      });
    });

    it('adds every person to the case at versions 2.., in message order, with their details', () => {
      const added = events.filter(isEventOf('PersonAddedToCase'));
      expect(added.map((e) => e.version)).to.deep.equal([2, 3]);
      expect(added.map((e) => e.payload)).to.deep.equal([
        { person_id: added[0]!.payload.person_id, firstname: 'Ada', lastname: 'Lovelace', birthdate: '1815-12-10', role_in_company: null },
        { person_id: added[1]!.payload.person_id, firstname: 'Charles', lastname: 'Babbage', birthdate: null, role_in_company: 'PARTNER' },
      ]);
      expect(added[0]!.payload.person_id).to.not.equal(added[1]!.payload.person_id);
    });

    it('asks each person for a passport and a proof of address, all required and awaiting nothing else', () => {
      const added = events.filter(isEventOf('PersonAddedToCase'));
      const docs = events.filter(isEventOf('DocumentRequirementDetermined'));
      expect(docs.map((d) => [d.payload.entity_id, d.payload.entity_type, d.payload.document_type])).to.deep.equal([
        [added[0]!.payload.person_id, 'PERSON', 'PASSPORT'],
        [added[0]!.payload.person_id, 'PERSON', 'PROOF_OF_ADDRESS'],
        [added[1]!.payload.person_id, 'PERSON', 'PASSPORT'],
        [added[1]!.payload.person_id, 'PERSON', 'PROOF_OF_ADDRESS'],
      ]);
      for (const d of docs) {
        expect(d.payload.is_required).to.equal(true);
        expect(d.payload.case_id).to.equal(cmd.case_id);
        expect(d.payload.document_requirement_id).to.equal(documentRequirementId(cmd.ids, d.payload.entity_id, d.payload.document_type));
      }
    });

    it('numbers the case stream 1..n without gaps: created, persons, then documents', () => {
      expectContiguousFromOne(caseStream);
      expect(caseStream.map((e) => e.event_type)).to.deep.equal([
        'CaseCreated',
        'PersonAddedToCase',
        'PersonAddedToCase',
        'DocumentRequirementDetermined',
        'DocumentRequirementDetermined',
        'DocumentRequirementDetermined',
        'DocumentRequirementDetermined',
      ]);
    });

    it('ignores a company profile the KYC message carried', () => {
      // the same content hash, so that only what the profile would add can differ
      const withProfile = {
        ...creationCommand({ ...raw(), company_profile: rawKybMessage().company_profile }),
        content_hash: cmd.content_hash,
      };
      expect(decideCaseCreation(withProfile)).to.deep.equal(events);
    });

    it('creates just the case when there are no persons', () => {
      const none = decideCaseCreation(creationCommand({ ...raw(), persons: [] }));
      expect(none.map((e) => e.event_type)).to.deep.equal(['CaseCreated']);
    });
  });

  describe('a KYB case', () => {
    const cmd = creationCommand(rawKybMessage());
    const events = decideCaseCreation(cmd);
    const created = events.find(isEventOf('CaseCreated'))!;
    const companyId = created.payload.company_id!;
    const caseStream = streamOf(events, cmd.case_id);
    const companyStream = streamOf(events, companyId);
    const personIds = events.filter(isEventOf('PersonAddedToCase')).map((e) => e.payload.person_id);

    it('records a company id on CaseCreated that differs from the case id', () => {
      expect(companyId).to.be.a('string');
      expect(companyId).to.not.equal(cmd.case_id);
      expect(created.payload).to.deep.equal({
        client_id: 'client-7',
        case_type: 'kyb-standard',
        case_version: '1.0',
        traitement_type: 'KYB',
        company_id: companyId,
      });
    });

    it('puts every event on either the case stream or the company stream', () => {
      expect(caseStream.length + companyStream.length).to.equal(events.length);
    });

    it('adds every person to the case, with or without a role', () => {
      const added = events.filter(isEventOf('PersonAddedToCase'));
      expect(added.map((e) => [e.payload.firstname, e.payload.role_in_company])).to.deep.equal([
        ['Grace', 'DIRECTOR'],
        ['Alan', null],
        ['Edsger', 'SECRETARY'],
      ]);
      expect(added.map((e) => e.version)).to.deep.equal([2, 3, 4]);
    });

    it('asks each person for a director/beneficial-owner passport, then the company for its standard documents', () => {
      const docs = events.filter(isEventOf('DocumentRequirementDetermined'));
      expect(docs.map((d) => [d.payload.entity_id, d.payload.entity_type, d.payload.document_type])).to.deep.equal([
        [personIds[0], 'PERSON', 'PASSPORT_DIRECTOR_BO'],
        [personIds[1], 'PERSON', 'PASSPORT_DIRECTOR_BO'],
        [personIds[2], 'PERSON', 'PASSPORT_DIRECTOR_BO'],
        [companyId, 'COMPANY', 'COMPANY_REGISTRATION_CERTIFICATE'],
        [companyId, 'COMPANY', 'ARTICLES_OF_ASSOCIATION'],
      ]);
      for (const d of docs) expect(d.payload.is_required).to.equal(true);
    });

    it('also asks the company for audited financial statements when the case type is ENHANCED_DUE_DILIGENCE', () => {
      const edd = decideCaseCreation(creationCommand({ ...rawKybMessage(), type: 'ENHANCED_DUE_DILIGENCE' }));
      const companyDocs = edd
        .filter(isEventOf('DocumentRequirementDetermined'))
        .filter((d) => d.payload.entity_type === 'COMPANY')
        .map((d) => d.payload.document_type);
      expect(companyDocs).to.deep.equal(['COMPANY_REGISTRATION_CERTIFICATE', 'ARTICLES_OF_ASSOCIATION', 'FINANCIAL_STATEMENTS_AUDITED']);
    });

    it('numbers the case stream 1..n without gaps', () => {
      expectContiguousFromOne(caseStream);
      expect(caseStream).to.have.length(1 + 3 + 3 + 2);
    });

    it('opens the company stream with CompanyProfileCreated at version 1, carrying every company field and the case id', () => {
      const profile = companyStream[0]!;
      expect(profile.event_type).to.equal('CompanyProfileCreated');
      expect(profile.version).to.equal(1);
      expect(profile.payload).to.deep.equal({ ...(rawKybMessage().company_profile as Raw), case_id: cmd.case_id });
    });

    it('links to the company only the persons who have a role, under the same person ids as the case', () => {
      const linked = events.filter(isEventOf('PersonLinkedToCompany'));
      expect(linked.map((e) => e.payload)).to.deep.equal([
        {
          case_id: cmd.case_id,
          person_id: personIds[0],
          firstname: 'Grace',
          lastname: 'Hopper',
          birthdate: '1906-12-09',
          role_in_company: 'DIRECTOR',
        },
        {
          case_id: cmd.case_id,
          person_id: personIds[2],
          firstname: 'Edsger',
          lastname: 'Dijkstra',
          birthdate: null,
          role_in_company: 'SECRETARY',
        },
      ]);
      for (const e of linked) expect(e.aggregate_id).to.equal(companyId);
    });

    it('adds every beneficial owner to the company with its details and defaults', () => {
      const owners = events.filter(isEventOf('BeneficialOwnerAdded'));
      expect(owners.map((e) => ({ ...e.payload, beneficial_owner_id: undefined }))).to.deep.equal([
        {
          case_id: cmd.case_id,
          beneficial_owner_id: undefined,
          person_details: { firstname: 'Grace', lastname: 'Hopper', birthdate: '1906-12-09', role_in_company: 'DIRECTOR' },
          ownership_percentage: 60,
          types_of_control: ['SHARES', 'VOTING_RIGHTS'],
          is_ubo: true,
        },
        {
          case_id: cmd.case_id,
          beneficial_owner_id: undefined,
          person_details: { firstname: 'Barbara', lastname: 'Liskov', birthdate: null, role_in_company: null },
          ownership_percentage: null,
          types_of_control: [],
          is_ubo: false,
        },
      ]);
      expect(owners[0]!.payload.beneficial_owner_id).to.not.equal(owners[1]!.payload.beneficial_owner_id);
    });

    it('numbers the company stream 1..n without gaps: profile, linked persons, then owners', () => {
      expectContiguousFromOne(companyStream);
      expect(companyStream.map((e) => e.event_type)).to.deep.equal([
        'CompanyProfileCreated',
        'PersonLinkedToCompany',
        'PersonLinkedToCompany',
        'BeneficialOwnerAdded',
        'BeneficialOwnerAdded',
      ]);
    });

    it('records only CompanyProfileCreated on the company stream when no person has a role and there are no owners', () => {
      const raw = clone(rawKybMessage());
      raw.persons = [{ firstname: 'A', lastname: 'B' }];
      raw.beneficial_owners = [];
      const e = decideCaseCreation(creationCommand(raw));
      const company = e.find(isEventOf('CaseCreated'))!.payload.company_id!;
      const stream = streamOf(e, company);
      expect(stream.map((x) => [x.event_type, x.version])).to.deep.equal([['CompanyProfileCreated', 1]]);
    });

    it('numbers owners right after the profile when no person has a role', () => {
      const raw = clone(rawKybMessage());
      raw.persons = [{ firstname: 'A', lastname: 'B', role_in_company: null }];
      const e = decideCaseCreation(creationCommand(raw));
      const company = e.find(isEventOf('CaseCreated'))!.payload.company_id!;
      const stream = streamOf(e, company);
      expect(stream.map((x) => x.event_type)).to.deep.equal(['CompanyProfileCreated', 'BeneficialOwnerAdded', 'BeneficialOwnerAdded']);
      expectContiguousFromOne(stream);
    });

    it('creates the case and company for a KYB message with no persons, asking documents of the company only', () => {
      const e = decideCaseCreation(creationCommand({ ...rawKybMessage(), persons: [] }));
      expect(e.filter(isEventOf('PersonAddedToCase'))).to.have.length(0);
      const docs = e.filter(isEventOf('DocumentRequirementDetermined'));
      expect(docs.map((d) => d.payload.entity_type)).to.deep.equal(['COMPANY', 'COMPANY']);
      expect(docs.map((d) => d.version)).to.deep.equal([2, 3]);
    });
  });

  describe('envelope, metadata and determinism', () => {
    const cmd = creationCommand(rawKybMessage(), 'key-A');
    const events = decideCaseCreation(cmd);

    it("stamps every event with the command's timestamp", () => {
      for (const e of events) expect(e.timestamp.getTime()).to.equal(T0.getTime());
    });

    it('records the idempotency key as correlation id, the command id as causation id and the content hash on every event', () => {
      for (const e of events)
        expect(e.metadata).to.deep.equal({ correlation_id: 'key-A', causation_id: cmd.command_id, content_hash: cmd.content_hash });
    });

    it('gives every event a unique id', () => {
      const ids = events.map((e) => e.event_id);
      expect(new Set(ids).size).to.equal(ids.length);
    });

    it('gives every created thing a unique id: case, company, persons, owners and document requirements', () => {
      const ids = [
        cmd.case_id,
        events.find(isEventOf('CaseCreated'))!.payload.company_id!,
        ...events.filter(isEventOf('PersonAddedToCase')).map((e) => e.payload.person_id),
        ...events.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id),
        ...events.filter(isEventOf('DocumentRequirementDetermined')).map((e) => e.payload.document_requirement_id),
      ];
      expect(new Set(ids).size).to.equal(ids.length);
    });

    it('decides deep-equal events when the same command is decided twice', () => {
      expect(decideCaseCreation(cmd)).to.deep.equal(events);
    });

    it('decides deep-equal events for a redelivery of the same message under the same key', () => {
      expect(decideCaseCreation(creationCommand(rawKybMessage(), 'key-A'))).to.deep.equal(events);
    });

    it('gives every id a different value under a different idempotency key', () => {
      const other = decideCaseCreation(creationCommand(rawKybMessage(), 'key-B'));
      const idsOf = (es: readonly DomainEvent[]) =>
        new Set(
          es.flatMap((e) => {
            const p = e.payload as Record<string, unknown>;
            return [
              e.event_id,
              e.aggregate_id,
              p.person_id,
              p.company_id,
              p.beneficial_owner_id,
              p.document_requirement_id,
              p.entity_id,
            ].filter((x): x is string => typeof x === 'string');
          }),
        );
      const mine = idsOf(events);
      for (const id of idsOf(other)) expect(mine.has(id), `id ${id} reused across keys`).to.equal(false);
    });

    it('uses the same ids whatever the timestamp, so only the key decides identity', () => {
      const later = decideCaseCreation(creationCommand(rawKybMessage(), 'key-A', new Date('2031-01-01T00:00:00Z')));
      expect(later.map((e) => e.event_id)).to.deep.equal(events.map((e) => e.event_id));
    });
  });
});

describe('documentRequirementId', () => {
  it("is the same for the same case's creation, entity and document type", () => {
    expect(documentRequirementId(idsFor('c'), 'e', 'PASSPORT')).to.equal(documentRequirementId(idsFor('c'), 'e', 'PASSPORT'));
  });

  it("differs when any of the case's creation, entity or document type differs", () => {
    const base = documentRequirementId(idsFor('c'), 'e', 'PASSPORT');
    expect(documentRequirementId(idsFor('c2'), 'e', 'PASSPORT')).to.not.equal(base);
    expect(documentRequirementId(idsFor('c'), 'e2', 'PASSPORT')).to.not.equal(base);
    expect(documentRequirementId(idsFor('c'), 'e', 'PROOF_OF_ADDRESS')).to.not.equal(base);
  });
});
