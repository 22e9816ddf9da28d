import { eventMetadata, type CreateCase } from './commands.js';
import type { MessageIds } from './deterministicId.js';
import { requiredDocuments } from './documentRules.js';
import type { EntityType } from './caseCommand.js';
import type { CaseEvent, CompanyEvent, DocumentRequirementDetermined, DomainEvent, EventMetadata } from './events.js';

/**
 * The id of the document requirement for one document of one entity of a case, one of the ids of
 * the case's creation (`creation`, the ids of the message that created it): asking twice finds the same one.
 */
export const documentRequirementId = (creation: MessageIds, entity_id: string, document_type: string): string =>
  creation.of('document', entity_id, document_type);

/** What the document requirements of one entity are made of. */
interface DocumentsOf {
  /** The ids of the deciding message's events on the case, by version: the events are its own. */
  readonly eventId: (version: number) => string;
  /** The ids of the message that created the case: the requirements are the case's. */
  readonly creation: MessageIds;
  readonly case_id: string;
  readonly entity_id: string;
  readonly entity_type: EntityType;
  readonly timestamp: Date;
  readonly metadata: EventMetadata;
}

const documentRequirementEvent = (args: DocumentsOf, document_type: string, version: number): DocumentRequirementDetermined => ({
  event_id: args.eventId(version),
  event_type: 'DocumentRequirementDetermined',
  aggregate_id: args.case_id,
  timestamp: args.timestamp,
  version,
  payload: {
    document_requirement_id: documentRequirementId(args.creation, args.entity_id, document_type),
    case_id: args.case_id,
    entity_id: args.entity_id,
    entity_type: args.entity_type,
    document_type,
    is_required: true,
  },
  metadata: args.metadata,
});

/** Document requirements for one entity, numbered from `firstVersion` on the case stream. */
export const documentRequirementEvents = (
  args: DocumentsOf & { readonly document_types: readonly string[]; readonly firstVersion: number },
): DocumentRequirementDetermined[] =>
  args.document_types.map((document_type, i) => documentRequirementEvent(args, document_type, args.firstVersion + i));

/**
 * Everything creating a case records, in version order per stream: for KYB, on the company stream
 * CompanyProfileCreated, PersonLinkedToCompany for persons with a role, and BeneficialOwnerAdded
 * per owner; then on the case stream CaseCreated, one PersonAddedToCase per person, then the
 * initial document requirements (persons first, then the company). Every id and version is a
 * function of the command alone, so a redelivery decides the same events. (Built into one array,
 * event by event: this runs for every new case.)
 */
export const decideCaseCreation = (cmd: CreateCase): DomainEvent[] => {
  const { message: m, case_id, ids, timestamp } = cmd;
  const metadata = eventMetadata(cmd);
  const company_id = m.company_profile ? ids.of('company') : null;
  const personIds = m.persons.map((_, i) => ids.of('person', i));
  const events: DomainEvent[] = [];
  const caseEventId = ids.series('event', case_id);

  if (company_id !== null && m.company_profile) {
    const companyEventId = ids.series('event', company_id);
    let companyVersion = 0;
    const companyEvent = <E extends CompanyEvent>(event_type: E['event_type'], payload: E['payload']) => {
      const version = (companyVersion += 1);
      events.push({
        event_id: companyEventId(version),
        event_type,
        aggregate_id: company_id,
        timestamp,
        version,
        payload,
        metadata,
      } as E);
    };
    companyEvent('CompanyProfileCreated', { ...m.company_profile, case_id });
    m.persons.forEach((p, i) => {
      if (p.role_in_company === null) return;
      companyEvent('PersonLinkedToCompany', {
        case_id,
        person_id: personIds[i]!,
        firstname: p.firstname,
        lastname: p.lastname,
        birthdate: p.birthdate,
        role_in_company: p.role_in_company,
      });
    });
    m.beneficial_owners.forEach((bo, i) =>
      companyEvent('BeneficialOwnerAdded', {
        case_id,
        beneficial_owner_id: ids.of('beneficial_owner', i),
        person_details: bo.person_details,
        ownership_percentage: bo.ownership_percentage,
        types_of_control: bo.types_of_control,
        is_ubo: bo.is_ubo,
      }),
    );
  }

  let caseVersion = 0;
  const caseEvent = <E extends CaseEvent>(event_type: E['event_type'], payload: E['payload']) => {
    const version = (caseVersion += 1);
    events.push({
      event_id: caseEventId(version),
      event_type,
      aggregate_id: case_id,
      timestamp,
      version,
      payload,
      metadata,
    } as E);
  };
  caseEvent('CaseCreated', {
    client_id: m.client_id,
    case_type: m.type,
    case_version: m.version,
    traitement_type: m.traitement_type,
    company_id,
  });
  m.persons.forEach((p, i) =>
    caseEvent('PersonAddedToCase', {
      person_id: personIds[i]!,
      firstname: p.firstname,
      lastname: p.lastname,
      birthdate: p.birthdate,
      role_in_company: p.role_in_company,
    }),
  );
  const documentsOf = (entity_id: string, entity_type: EntityType) => {
    const of: DocumentsOf = { eventId: caseEventId, creation: ids, case_id, entity_id, entity_type, timestamp, metadata };
    for (const document_type of requiredDocuments(entity_type, m.traitement_type, m.type)) {
      events.push(documentRequirementEvent(of, document_type, (caseVersion += 1)));
    }
  };
  for (const person_id of personIds) documentsOf(person_id, 'PERSON');
  if (company_id !== null) documentsOf(company_id, 'COMPANY');
  return events;
};
