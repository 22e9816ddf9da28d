import { eventMetadata, type CreateCase } from './commands.js';
import { idFor } from './deterministicId.js';
import { requiredDocuments } from './documentRules.js';
import type { EntityType } from './caseCommand.js';
import type { CaseEvent, CompanyEvent, DocumentRequirementDetermined, DomainEvent, EventMetadata } from './events.js';

/** The id of the document requirement for one document of one entity of a case: asking twice finds the same one. */
export const documentRequirementId = (case_id: string, entity_id: string, document_type: string): string =>
  idFor(case_id, 'document', entity_id, document_type);

/** Document requirements for one entity, numbered from `firstVersion` on the case stream. */
export const documentRequirementEvents = (args: {
  readonly case_id: string;
  readonly entity_id: string;
  readonly entity_type: EntityType;
  readonly document_types: readonly string[];
  readonly firstVersion: number;
  readonly timestamp: Date;
  readonly metadata: EventMetadata;
}): DocumentRequirementDetermined[] =>
  args.document_types.map((document_type, i) => {
    const version = args.firstVersion + i;
    return {
      event_id: idFor(args.metadata.correlation_id, 'event', args.case_id, version),
      event_type: 'DocumentRequirementDetermined',
      aggregate_id: args.case_id,
      timestamp: args.timestamp,
      version,
      payload: {
        document_requirement_id: documentRequirementId(args.case_id, args.entity_id, document_type),
        case_id: args.case_id,
        entity_id: args.entity_id,
        entity_type: args.entity_type,
        document_type,
        is_required: true,
      },
      metadata: args.metadata,
    };
  });

/**
 * Everything creating a case records, in version order per stream: on the case stream
 * CaseCreated, one PersonAddedToCase per person, then the initial document requirements
 * (persons first, then the company); for KYB, on the company stream CompanyProfileCreated,
 * PersonLinkedToCompany for persons with a role, and BeneficialOwnerAdded per owner.
 * Every id and version is a function of the command alone, so a redelivery decides the same events.
 */
export const decideCaseCreation = (cmd: CreateCase): DomainEvent[] => {
  const { message: m, case_id, key, timestamp } = cmd;
  const metadata = eventMetadata(cmd);
  const company_id = m.company_profile ? idFor(key, 'company') : null;
  const personIds = m.persons.map((_, i) => idFor(key, 'person', i));
  const caseEvent = <E extends CaseEvent>(version: number, event_type: E['event_type'], payload: E['payload']) =>
    ({ event_id: idFor(key, 'event', case_id, version), event_type, aggregate_id: case_id, timestamp, version, payload, metadata }) as E;

  const caseEvents: CaseEvent[] = [
    caseEvent(1, 'CaseCreated', {
      client_id: m.client_id,
      case_type: m.type,
      case_version: m.version,
      traitement_type: m.traitement_type,
      company_id,
    }),
    ...m.persons.map((p, i) =>
      caseEvent(i + 2, 'PersonAddedToCase', {
        person_id: personIds[i]!,
        firstname: p.firstname,
        lastname: p.lastname,
        birthdate: p.birthdate,
        role_in_company: p.role_in_company,
      }),
    ),
  ];
  const entities: { entity_id: string; entity_type: EntityType }[] = [
    ...personIds.map((entity_id) => ({ entity_id, entity_type: 'PERSON' as const })),
    ...(company_id ? [{ entity_id: company_id, entity_type: 'COMPANY' as const }] : []),
  ];
  for (const { entity_id, entity_type } of entities) {
    caseEvents.push(
      ...documentRequirementEvents({
        case_id,
        entity_id,
        entity_type,
        document_types: requiredDocuments(entity_type, m.traitement_type, m.type),
        firstVersion: caseEvents.length + 1,
        timestamp,
        metadata,
      }),
    );
  }
  if (!company_id || !m.company_profile) return caseEvents;

  const companyEvents: CompanyEvent[] = [];
  const companyEvent = <E extends CompanyEvent>(event_type: E['event_type'], payload: E['payload']) => {
    const version = companyEvents.length + 1;
    companyEvents.push({
      event_id: idFor(key, 'event', company_id, version),
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
      beneficial_owner_id: idFor(key, 'beneficial_owner', i),
      person_details: bo.person_details,
      ownership_percentage: bo.ownership_percentage,
      types_of_control: bo.types_of_control,
      is_ubo: bo.is_ubo,
    }),
  );
  return [...companyEvents, ...caseEvents];
};
