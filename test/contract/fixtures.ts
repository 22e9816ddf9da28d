import { decideCaseCreation } from '../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../src/domain/decideNotification.js';
import { idFor } from '../../src/domain/deterministicId.js';
import type { DocumentStatusUpdated, DomainEvent, PersonAddedToCase } from '../../src/domain/events.js';
import { creationCommand, found, rawKybMessage } from '../unit/domain/fixtures.js';

let counter = 0;

/** An id no other test used: stores may keep one database for a whole suite. */
export const freshId = (label: string): string => idFor(`contract-${label}`, `${process.pid}-${Date.now()}`, (counter += 1));

const T0 = new Date('2026-01-05T09:00:00.000Z');

/**
 * A small case-stream event at `version`; `tag` stands for the message that decided it: its
 * event_id and content hash, so two tags at one version are two different events.
 */
export const personEvent = (aggregate_id: string, version: number, tag = 'a'): PersonAddedToCase => ({
  event_id: idFor(`msg-${tag}`, 'event', aggregate_id, version),
  event_type: 'PersonAddedToCase',
  aggregate_id,
  timestamp: new Date(T0.getTime() + version * 1000),
  version,
  payload: {
    person_id: idFor(`msg-${tag}`, 'person', aggregate_id, version),
    firstname: `First${version}`,
    lastname: tag,
    birthdate: null,
    role_in_company: null,
  },
  metadata: { correlation_id: `msg-${tag}`, causation_id: idFor(`msg-${tag}`, 'command'), content_hash: `hash-${tag}` },
});

/** Versions from..to of one aggregate, decided by the same message `tag`. */
export const personEvents = (aggregate_id: string, from: number, to: number, tag = 'a'): DomainEvent[] =>
  Array.from({ length: to - from + 1 }, (_, i) => personEvent(aggregate_id, from + i, tag));

const welcomeRule = { rule_id: 'r-1', is_active: true, notification_type: 'WELCOME', template_id: 'tpl-1', language_code: 'fr' };

/**
 * A real KYB case created under the idempotency key `key`: its case stream, its company stream, the
 * notification that follows the case's last version, and DocumentStatusUpdated events for its first
 * document requirement (`statusUpdate(version)`, for read-model tests).
 */
export const kybCase = (key: string) => {
  const cmd = creationCommand(rawKybMessage(), key);
  const events = decideCaseCreation(cmd);
  const caseEvents = events.filter((e) => e.aggregate_id === cmd.case_id);
  const companyEvents = events.filter((e) => e.aggregate_id !== cmd.case_id);
  const firstRequirement = events.find((e) => e.event_type === 'DocumentRequirementDetermined');
  if (firstRequirement?.event_type !== 'DocumentRequirementDetermined') throw new Error('fixture has no document requirement');
  const requirementId = firstRequirement.payload.document_requirement_id;
  const caseVersion = caseEvents.length;
  const statusUpdate = (version: number, change: Partial<DocumentStatusUpdated['payload']> = {}): DocumentStatusUpdated => ({
    event_id: `${cmd.case_id}-status-${version}`,
    event_type: 'DocumentStatusUpdated',
    aggregate_id: cmd.case_id,
    timestamp: new Date(cmd.timestamp.getTime() + version * 60_000),
    version,
    payload: {
      document_requirement_id: requirementId,
      new_status: 'UPLOADED',
      old_status: 'AWAITING_UPLOAD',
      updated_by: 'agent-7',
      metadata_update: {},
      notes_added: [],
      ...change,
    },
    metadata: { correlation_id: `status-${version}`, causation_id: `cmd-${version}` },
  });
  const notification = decideNotification(cmd, found(welcomeRule), caseVersion);
  return { cmd, events, caseEvents, companyEvents, notification, requirementId, caseVersion, statusUpdate };
};
