import * as E from 'fp-ts/lib/Either.js';
import type { TraitementType } from '../../src/domain/clientMessage.js';
import { documentRequirementId } from '../../src/domain/decideCaseCreation.js';
import { caseCreatedTrigger } from '../../src/domain/decideNotification.js';
import { idsFor } from '../../src/domain/deterministicId.js';
import { requiredDocuments } from '../../src/domain/documentRules.js';
import { selectRule } from '../../src/domain/notificationRule.js';
import { fnv1a, prng, type Prng } from './prng.js';

/** Rules as the Configuration Service stub serves them: trigger → rules in priority order. */
export type RulesByTrigger = Readonly<Record<string, readonly unknown[]>>;

export type MessageKind = 'client' | 'command';

/** One message the bench sends: a client-data message (new case) or a follow-up case command. */
export interface BenchMessage {
  readonly index: number;
  readonly kind: MessageKind;
  /** The `message-id` header: the idempotency key every id casestream creates derives from. */
  readonly messageId: string;
  readonly key: string | null;
  /** The partition it is produced to (commands: by case id, so a case's commands stay in order). */
  readonly partition: number;
  readonly value: Buffer;
  readonly caseId: string;
  /** The message id of the client message that creates the case (itself for client messages). */
  readonly caseMessageId: string;
  /** Client messages: whether an active rule matches, i.e. a NotificationRequired is expected. */
  readonly notifies: boolean;
  /** Client messages: the commands (indexes into `messages`) sent once the case's notification is seen. */
  readonly followUps: readonly number[];
}

export interface Workload {
  readonly messages: readonly BenchMessage[];
  readonly clients: number;
  readonly commands: number;
}

export interface WorkloadOptions {
  /** Total messages (client messages + commands). */
  readonly messages: number;
  /** Share of the messages that are follow-up case commands (default 0.1). */
  readonly commandShare?: number;
  readonly seed?: number;
  readonly partitions: number;
  readonly rules: RulesByTrigger;
  /** Prefix of every message id (default `bench`). */
  readonly idPrefix?: string;
}

const FIRST = ['John', 'Jane', 'Amina', 'Luca', 'Mei', 'Olu', 'Sofia', 'Pierre', 'Anna', 'Raj', 'Chloe', 'Tomás'];
const LAST = ['Doe', 'Smith', 'Okafor', 'Rossi', 'Chen', 'Adeyemi', 'García', 'Martin', 'Novak', 'Patel', 'Dubois', 'Silva'];
const COUNTRIES = ['GB', 'FR', 'DE', 'NL', 'IE', 'ES', 'IT', 'BE'];
const CITIES = ['London', 'Paris', 'Berlin', 'Amsterdam', 'Dublin', 'Madrid', 'Milan', 'Brussels'];
const SECTORS = ['FINTECH', 'RETAIL', 'LOGISTICS', 'MANUFACTURING', 'CONSULTING', null];

/**
 * Case types by traitement type, with weights. The rules in config/notification-rules.json make
 * about half of the cases match an active rule: KYC INDIVIDUAL_STANDARD and KYB COMPANY_STANDARD /
 * ENHANCED_DUE_DILIGENCE have one; KYC ENHANCED_DUE_DILIGENCE's rule is inactive; the *_LIGHT and
 * *_SIMPLIFIED types have no rule at all (the service answers []).
 */
const CASE_TYPES: Record<TraitementType, readonly (readonly [string, number])[]> = {
  KYC: [
    ['INDIVIDUAL_STANDARD', 0.4],
    ['ENHANCED_DUE_DILIGENCE', 0.3],
    ['INDIVIDUAL_LIGHT', 0.3],
  ],
  KYB: [
    ['COMPANY_STANDARD', 0.45],
    ['ENHANCED_DUE_DILIGENCE', 0.15],
    ['COMPANY_SIMPLIFIED', 0.4],
  ],
};

const birthdate = (r: Prng): string | null =>
  r.chance(0.8) ? `${r.int(1940, 2004)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}` : null;

const person = (r: Prng, role: string | null | undefined) => ({
  firstname: r.pick(FIRST),
  lastname: r.pick(LAST),
  birthdate: birthdate(r),
  ...(role === undefined ? {} : { role_in_company: role }),
});

/** Whether a trigger has an active rule, answered exactly as casestream answers it (selectRule on the rules). */
const ruleMatcher = (rules: RulesByTrigger) => {
  const cache = new Map<string, boolean>();
  return (traitement_type: TraitementType, case_type: string, case_id: string, client_id: string): boolean => {
    const trigger = caseCreatedTrigger({ creation_key: '', case_id, client_id, case_type, traitement_type, first_person: null });
    let hit = cache.get(trigger);
    if (hit === undefined) {
      const selected = selectRule([...(rules[trigger] ?? [])]);
      hit = E.isRight(selected) && selected.right.rule !== null;
      cache.set(trigger, hit);
    }
    return hit;
  };
};

/**
 * A deterministic, realistic workload: mixed KYC (55 %) and KYB (45 %) client messages with 1–4
 * persons and, for KYB, 0–3 beneficial owners, every one a distinct case; about half match an
 * active rule. `commandShare` of the messages are follow-up case commands on notified cases
 * (1 or 2 per case: upload a document, then verify it or ask for the person's requirements again).
 */
export const generateWorkload = (options: WorkloadOptions): Workload => {
  const r = prng(options.seed ?? 20260101);
  const prefix = options.idPrefix ?? 'bench';
  const total = options.messages;
  const wantedCommands = Math.round(total * (options.commandShare ?? 0.1));
  const clients = total - wantedCommands;
  const matches = ruleMatcher(options.rules);

  interface Draft extends Omit<BenchMessage, 'followUps'> {
    followUps: number[];
    doc0?: string;
    person0?: string;
  }
  const drafts: Draft[] = [];
  for (let i = 0; i < clients; i++) {
    const messageId = `${prefix}-${i}`;
    const kind: TraitementType = r.chance(0.55) ? 'KYC' : 'KYB';
    const type = r.weighted(CASE_TYPES[kind]);
    const client_id = `${kind.toLowerCase()}-client-${i}`;
    const personCount = r.int(1, 4);
    const persons =
      kind === 'KYC'
        ? Array.from({ length: personCount }, () => person(r, undefined))
        : Array.from({ length: personCount }, (_, p) =>
            person(r, p === 0 ? 'Director' : r.chance(0.5) ? r.pick(['Secretary', 'Shareholder']) : null),
          );
    const country = r.pick(COUNTRIES);
    const value =
      kind === 'KYC'
        ? { client_id, version: '1.0', type, traitement_type: r.chance(0.2) ? 'kyc' : 'KYC', persons }
        : {
            client_id,
            version: '1.0',
            type,
            traitement_type: 'KYB',
            company_profile: {
              registered_name: `${r.pick(LAST)} ${r.pick(['Holdings', 'Trading', 'Partners', 'Industries'])} ${i} Ltd`,
              trading_name: r.chance(0.5) ? `${r.pick(LAST)} & Co` : null,
              registration_number: `C${String(100000 + i)}`,
              registration_date: r.chance(0.7) ? `${r.int(1980, 2025)}-0${r.int(1, 9)}-1${r.int(0, 9)}` : null,
              country_of_incorporation: country,
              registered_address: {
                street: `${r.int(1, 200)} ${r.pick(['High Street', 'Business Park', 'Rue de la Paix', 'Hauptstraße'])}`,
                city: r.pick(CITIES),
                postal_code: `${r.int(10000, 99999)}`,
                country,
              },
              business_type: r.pick(['LIMITED', 'PLC', 'LLP', null]),
              industry_sector: r.pick(SECTORS),
            },
            persons,
            beneficial_owners: Array.from({ length: r.int(0, 3) }, () => ({
              person_details: person(r, undefined),
              ownership_percentage: r.chance(0.9) ? r.int(5, 100) : null,
              types_of_control: r.chance(0.7) ? ['SHAREHOLDING_OVER_25'] : [],
              is_ubo: r.chance(0.6),
            })),
          };
    const ids = idsFor(messageId);
    const caseId = ids.of('case');
    const person0 = ids.of('person', 0);
    drafts.push({
      index: i,
      kind: 'client',
      messageId,
      key: client_id,
      partition: i % options.partitions,
      value: Buffer.from(JSON.stringify(value)),
      caseId,
      caseMessageId: messageId,
      notifies: matches(kind, type, caseId, client_id),
      followUps: [],
      person0,
      doc0: documentRequirementId(ids, person0, requiredDocuments('PERSON', kind, type)[0]!),
    });
  }

  // Follow-up commands on notified cases, picked at random, 1 or 2 per case.
  const notified = drafts.filter((d) => d.notifies);
  for (let i = notified.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [notified[i], notified[j]] = [notified[j]!, notified[i]!];
  }
  let commands = 0;
  for (const target of notified) {
    if (commands >= wantedCommands) break;
    const count = Math.min(wantedCommands - commands, r.chance(0.5) ? 2 : 1);
    for (let k = 0; k < count; k++) {
      const index = drafts.length;
      const messageId = `${prefix}-cmd-${commands}`;
      const second = k === 1;
      const value = !second
        ? {
            command_type: 'UpdateDocumentStatus',
            command_id: messageId,
            case_id: target.caseId,
            document_requirement_id: target.doc0,
            new_status: 'UPLOADED',
            updated_by_actor_type: 'USER',
            updated_by_actor_id: `agent-${r.int(1, 40)}`,
            metadata_changes: { checked: true, pages: r.int(1, 6) },
            notes_to_add: ['scan received'],
          }
        : r.chance(0.5)
          ? {
              command_type: 'UpdateDocumentStatus',
              command_id: messageId,
              case_id: target.caseId,
              document_requirement_id: target.doc0,
              new_status: 'VERIFIED_MANUAL',
              updated_by_actor_type: 'USER',
              updated_by_actor_id: `agent-${r.int(1, 40)}`,
            }
          : {
              command_type: 'DetermineDocumentRequirements',
              command_id: messageId,
              case_id: target.caseId,
              entity_id: target.person0,
              entity_type: 'PERSON',
            };
      drafts.push({
        index,
        kind: 'command',
        messageId,
        key: target.caseId,
        partition: fnv1a(target.caseId) % options.partitions,
        value: Buffer.from(JSON.stringify(value)),
        caseId: target.caseId,
        caseMessageId: target.messageId,
        notifies: false,
        followUps: [],
      });
      target.followUps.push(index);
      commands += 1;
    }
  }
  const messages: BenchMessage[] = drafts.map(({ doc0: _d, person0: _p, ...m }) => m);
  return { messages, clients, commands };
};
