import fc from 'fast-check';
import { DocumentStatus } from '../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import type { CaseEvent, DomainEvent } from '../../src/domain/events.js';

/**
 * Random case streams for property tests of what a case folds into: a CaseCreated at version 1,
 * then events of every case event type at versions 2, 3, … (persons, document requirements and
 * status updates of known or unknown requirements, notifications, closing, erasures, legal holds),
 * under a few idempotency keys, some without a content hash.
 */

const T0 = new Date('2026-02-02T08:00:00.000Z');

const STEP_KINDS = ['person', 'document', 'status', 'notification', 'close', 'erase', 'hold', 'lift'] as const;

type StepKind = (typeof STEP_KINDS)[number];

/** One event to come: its kind and the numbers that pick its content. */
export type Step = readonly [kind: StepKind, pick: number, key: number, hashed: boolean];

const step: fc.Arbitrary<Step> = fc.tuple(fc.constantFrom(...STEP_KINDS), fc.nat(1000), fc.nat(3), fc.boolean());

/** The steps of a stream: none (no events at all) up to `maxLength` events after the creation. */
export const caseSteps = (maxLength = 30): fc.Arbitrary<readonly Step[] | null> =>
  fc.option(fc.array(step, { maxLength }), { freq: 10, nil: null });

const names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara'];

/** The events `steps` make of case `case_id` (none for null), in version order. */
export const caseStream = (case_id: string, steps: readonly Step[] | null): CaseEvent[] => {
  if (steps === null) return [];
  const persons: string[] = [];
  const documents: string[] = [];
  const events: CaseEvent[] = [];
  const envelope = (version: number, key: number, hashed: boolean) => ({
    event_id: `${case_id}-event-${version}`,
    aggregate_id: case_id,
    timestamp: new Date(T0.getTime() + version * 1000),
    version,
    metadata: {
      correlation_id: `${case_id}-key-${key}`,
      causation_id: `${case_id}-command-${version}`,
      ...(hashed ? { content_hash: `hash-${key}` } : {}),
    },
  });
  events.push({
    ...envelope(1, 0, true),
    event_type: 'CaseCreated',
    payload: {
      client_id: `client-${case_id}`,
      case_type: 'STANDARD',
      case_version: '1.0',
      traitement_type: steps.length % 2 === 0 ? 'KYC' : 'KYB',
      company_id: steps.length % 2 === 0 ? null : `${case_id}-company`,
    },
  });
  for (const [kind, pick, key, hashed] of steps) {
    const e = envelope(events.length + 1, key, hashed);
    const person = persons[pick % Math.max(1, persons.length)] ?? `${case_id}-nobody`;
    switch (kind) {
      case 'person': {
        const person_id = `${case_id}-person-${persons.length}`;
        persons.push(person_id);
        const name = names[pick % names.length]!;
        events.push({
          ...e,
          event_type: 'PersonAddedToCase',
          payload: { person_id, firstname: name, lastname: `${name}son`, birthdate: null, role_in_company: null },
        });
        break;
      }
      case 'document': {
        const document_requirement_id = `${case_id}-document-${documents.length}`;
        documents.push(document_requirement_id);
        events.push({
          ...e,
          event_type: 'DocumentRequirementDetermined',
          payload: {
            document_requirement_id,
            case_id,
            entity_id: person,
            entity_type: 'PERSON',
            document_type: ['PASSPORT', 'PROOF_OF_ADDRESS', 'ID_CARD'][pick % 3]!,
            is_required: pick % 2 === 0,
          },
        });
        break;
      }
      case 'status':
        events.push({
          ...e,
          event_type: 'DocumentStatusUpdated',
          payload: {
            // now and then a requirement the case does not know: the fold ignores it
            document_requirement_id: documents[pick % (documents.length + 1)] ?? `${case_id}-unknown-document`,
            new_status: DocumentStatus[pick % DocumentStatus.length]!,
            old_status: 'AWAITING_UPLOAD',
            updated_by: 'agent',
            metadata_update: {},
            notes_added: Array.from({ length: pick % 3 }, (_, i) => `note ${i}`),
          },
        });
        break;
      case 'notification':
        events.push({
          ...e,
          event_type: 'NotificationRequired',
          payload: {
            notification_type: 'WELCOME',
            recipient_details: { case_id, client_id: `client-${case_id}` },
            template_id: null,
            language_code: null,
            context_data: { case_id, client_name: 'someone', case_type: 'STANDARD', traitement_type: 'KYC' },
          },
        });
        break;
      case 'close':
        events.push({ ...e, event_type: 'CaseClosed', payload: { reason: 'done', closed_by: 'agent' } });
        break;
      case 'erase':
        events.push({
          ...e,
          event_type: 'PersonalDataErased',
          payload: { subject: { kind: 'person', id: person }, reason: 'asked', requested_by: 'dpo', fields: ['firstname'] },
        });
        break;
      case 'hold':
        events.push({ ...e, event_type: 'LegalHoldPlaced', payload: { reason: `hold ${pick}`, placed_by: 'legal' } });
        break;
      case 'lift':
        events.push({ ...e, event_type: 'LegalHoldLifted', payload: { reason: 'over', lifted_by: 'legal' } });
        break;
    }
  }
  return events;
};

/** What a case's events fold into. */
export const foldOf = (case_id: string, events: readonly DomainEvent[]): CaseState => evolveCase(emptyCase(case_id), events);
