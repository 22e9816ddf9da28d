import { isDeepStrictEqual } from 'node:util';
import type { ErasureSubject, ErasureSubjectKind } from './caseCommand.js';
import type { DomainEvent } from './events.js';

/**
 * The inventory of personal data: every place casestream keeps data about a natural person, the
 * one list that erasure (EraseSubject), the replay of erasures (projections) and the log redaction
 * (infra/logger.ts) read.
 *
 * Personal data here means names, birth dates and the contact names of notifications, plus the raw
 * message bodies that hold them (and whatever else a producer put in a person's entry). Besides the
 * places PERSONAL_DATA lists: case snapshots (`case_snapshots`) hold the case state, whose
 * `creation.first_person` names the first person (the fold drops the names on erasure, and the
 * masking deletes a snapshot taken before it); the Kafka topics hold what was sent to them (client
 * messages, commands, dead letters, notifications) until their retention. Command results, lookup
 * failures and API idempotency keys hold none: ids, statuses, hashes and reasons made of field paths
 * and rules, never values.
 *
 * Kept on purpose, because the due-diligence record must still read
 * after an erasure: ids, case and document types, statuses, versions, timestamps, a person's role
 * in the company, ownership and control of a beneficial owner, the company profile (a legal
 * entity's data) and the client id (the client's account id). Free text that users write (document
 * notes and metadata, reasons) is not inspected: it must not name people.
 *
 * Erasure masks in place: each personal field of the subject is overwritten with ERASED (a date
 * with null) in every store casestream controls, by the subject's id. Chosen over crypto-shredding
 * (each subject's fields encrypted under a key of its own, the key deleted to erase) because:
 * casestream's records are read by ids everywhere (the API, replays, the notification topic's
 * consumers), which crypto-shredding would make depend on a key store on every read; a lost or
 * restored key store would lose or resurrect data silently; and masking leaves nothing to guard
 * afterwards. What masking does not reach, crypto-shredding would not either without encrypting
 * at the producer: the Kafka topics keep the bytes they received until their retention, and backups
 * keep what they copied.
 */

/** What erasure writes in place of a personal text field. */
export const ERASED = '[erased]';

/** Personal fields by dotted path, with what erasure writes in their place (null for a date). */
export type Masks = Readonly<Record<string, string | null>>;

const NAME_AND_BIRTH_DATE: Masks = { firstname: ERASED, lastname: ERASED, birthdate: null };

const under = (parent: string, masks: Masks): Masks =>
  Object.fromEntries(Object.entries(masks).map(([path, value]) => [`${parent}.${path}`, value]));

/**
 * Whose data a place holds: a person or a beneficial owner (found by the id at `id`), or the case's
 * first person, whom its notifications address.
 */
export type Holder = { readonly subject: ErasureSubjectKind; readonly id: string } | { readonly subject: 'first_person' };

export const PERSONAL_DATA = {
  /** Event payloads (domain_events, and the NotificationRequired copies on the notification topic; notification_outbox only points at them). */
  events: {
    PersonAddedToCase: { holder: { subject: 'person', id: 'person_id' }, masks: NAME_AND_BIRTH_DATE },
    PersonLinkedToCompany: { holder: { subject: 'person', id: 'person_id' }, masks: NAME_AND_BIRTH_DATE },
    BeneficialOwnerAdded: {
      holder: { subject: 'beneficial_owner', id: 'beneficial_owner_id' },
      masks: under('person_details', NAME_AND_BIRTH_DATE),
    },
    NotificationRequired: {
      holder: { subject: 'first_person' },
      masks: { 'recipient_details.primary_contact_name': ERASED, 'context_data.client_name': ERASED },
    },
  },
  /** Read-model documents, by the subject's id (`_id`); also the copies a replay keeps aside or is building. */
  readModels: {
    persons: { subject: 'person', masks: NAME_AND_BIRTH_DATE },
    beneficial_owners: { subject: 'beneficial_owner', masks: NAME_AND_BIRTH_DATE },
  },
  /**
   * The client message as received (raw_events `payload`): the subject is the item of `list` at
   * the place its event has among the case's (see subjectIndex). A raw copy holds whatever the
   * producer sent, fields casestream does not know included (a nationality, an address): every
   * field of the subject's item is masked but those `keep` lists.
   */
  message: {
    person: { list: 'persons', masks: NAME_AND_BIRTH_DATE, keep: ['role_in_company'] },
    beneficial_owner: {
      list: 'beneficial_owners',
      masks: under('person_details', NAME_AND_BIRTH_DATE),
      keep: ['person_details.role_in_company', 'ownership_percentage', 'types_of_control', 'is_ubo'],
    },
  },
  /**
   * Fields that carry a whole message body (raw_events `payload`, a record's `value`): never logged;
   * a raw copy kept as text (it could not be stored as a document) is erased whole.
   */
  bodies: ['payload', 'value'],
} as const satisfies {
  readonly events: Partial<Record<DomainEvent['event_type'], { readonly holder: Holder; readonly masks: Masks }>>;
  readonly readModels: Readonly<Record<string, { readonly subject: ErasureSubjectKind; readonly masks: Masks }>>;
  readonly message: Readonly<
    Record<ErasureSubjectKind, { readonly list: string; readonly masks: Masks; readonly keep: readonly string[] }>
  >;
  readonly bodies: readonly string[];
};

export type PersonalReadModel = keyof typeof PERSONAL_DATA.readModels;

/** The read model that holds the subjects of a kind. */
export const readModelOf = (kind: ErasureSubjectKind): PersonalReadModel =>
  (Object.keys(PERSONAL_DATA.readModels) as PersonalReadModel[]).find((name) => PERSONAL_DATA.readModels[name].subject === kind)!;

/** The names of every personal field and body (e.g. `firstname`, `primary_contact_name`, `payload`): what the logger censors. */
export const personalFieldNames = (): string[] => {
  const paths = [
    ...Object.values(PERSONAL_DATA.events).flatMap((e) => Object.keys(e.masks)),
    ...Object.values(PERSONAL_DATA.readModels).flatMap((r) => Object.keys(r.masks)),
    ...Object.values(PERSONAL_DATA.message).flatMap((m) => Object.keys(m.masks)),
  ];
  return [...new Set([...paths.map((p) => p.split('.').pop()!), ...PERSONAL_DATA.bodies])];
};

/** The names of the fields an erasure of `subject` masks; with the contact names when the subject is the case's first person. */
export const erasedFieldNames = (kind: ErasureSubjectKind, firstPerson: boolean): string[] => {
  const names = (masks: Masks) => Object.keys(masks).map((p) => p.split('.').pop()!);
  const own = names(kind === 'person' ? PERSONAL_DATA.events.PersonAddedToCase.masks : PERSONAL_DATA.events.BeneficialOwnerAdded.masks);
  return firstPerson ? [...own, ...names(PERSONAL_DATA.events.NotificationRequired.masks)] : own;
};

type Json = Readonly<Record<string, unknown>>;

const isObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The value at a dotted path; undefined where the path is absent. */
const valueAt = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, part) => (isObject(v) ? v[part] : undefined), value);

/**
 * `value` with the masks written at their paths, where those paths are present (an absent field
 * stays absent); `value` itself when that changes nothing, so a masking run twice changes nothing.
 */
export const withMasks = <T>(value: T, masks: Masks): T => {
  let out: Record<string, unknown> | undefined;
  for (const [path, mask] of Object.entries(masks)) {
    const parts = path.split('.');
    const current = valueAt(out ?? value, path);
    if (current === undefined || current === mask) continue;
    out ??= { ...(value as Json) };
    let target = out;
    for (const part of parts.slice(0, -1)) target = target[part] = { ...(target[part] as Json) };
    target[parts[parts.length - 1]!] = mask;
  }
  return (out ?? value) as T;
};

/**
 * Whether a read-model document of `model` still holds its subject's personal data: some personal
 * field differs from its mask (an erasure writes them all). An absent field reads as null, as in a
 * MongoDB filter: a document without names is not taken for an erased one.
 */
export const holdsPersonalData = (model: PersonalReadModel, document: Json): boolean =>
  Object.entries(PERSONAL_DATA.readModels[model].masks).some(([path, mask]) => (valueAt(document, path) ?? null) !== mask);

export const subjectKey = (s: ErasureSubject): string => `${s.kind}:${s.id}`;

/**
 * `event` with the subject's personal data masked (`firstPerson`: the subject is the case's first
 * person, whose names its notifications carry); the event itself when it holds none of it.
 */
export const maskEvent = (event: DomainEvent, subject: ErasureSubject, firstPerson: boolean): DomainEvent => {
  const entry = (PERSONAL_DATA.events as Partial<Record<string, { holder: Holder; masks: Masks }>>)[event.event_type];
  if (entry === undefined) return event;
  const holder: Holder = entry.holder;
  const holds =
    holder.subject === 'first_person'
      ? firstPerson && subject.kind === 'person'
      : holder.subject === subject.kind && (event.payload as Json)[holder.id] === subject.id;
  if (!holds) return event;
  const payload = withMasks(event.payload, entry.masks);
  return payload === event.payload ? event : ({ ...event, payload } as DomainEvent);
};

/**
 * Where the subject sits in the message that created its case: its event's place among the events
 * of its kind (PersonAddedToCase on the case stream, BeneficialOwnerAdded on the company stream),
 * which the creation decides in the message's order; -1 when none is the subject's.
 */
export const subjectIndex = (events: readonly DomainEvent[], subject: ErasureSubject): number => {
  const ofKind =
    subject.kind === 'person'
      ? events.flatMap((e) => (e.event_type === 'PersonAddedToCase' ? [{ v: e.version, id: e.payload.person_id }] : []))
      : events.flatMap((e) => (e.event_type === 'BeneficialOwnerAdded' ? [{ v: e.version, id: e.payload.beneficial_owner_id }] : []));
  return [...ofKind].sort((a, b) => a.v - b.v).findIndex((x) => x.id === subject.id);
};

/**
 * `item` with every field masked but those `keep` names (dotted paths into nested objects): with
 * its value in `masks` when it has one, otherwise ERASED for text and null for anything else.
 */
const maskAllBut = (item: Json, masks: Masks, keep: readonly string[], at = ''): Json =>
  Object.fromEntries(
    Object.entries(item).map(([key, value]) => {
      const path = `${at}${key}`;
      if (keep.includes(path)) return [key, value];
      if (isObject(value) && keep.some((k) => k.startsWith(`${path}.`))) return [key, maskAllBut(value, masks, keep, `${path}.`)];
      return [key, path in masks ? masks[path] : typeof value === 'string' ? ERASED : null];
    }),
  );

/**
 * A raw copy's payload with the subject (item `index` of its list) masked: a message kept as text
 * is erased whole; the payload itself when nothing changes.
 */
export const maskRawMessage = (payload: Json | string, kind: ErasureSubjectKind, index: number): Json | string => {
  if (typeof payload === 'string') return ERASED;
  const { list, masks, keep } = PERSONAL_DATA.message[kind];
  const items = payload[list];
  const item: unknown = Array.isArray(items) ? items[index] : undefined;
  if (!isObject(item)) return payload;
  const masked = maskAllBut(item, masks, keep);
  if (isDeepStrictEqual(masked, item)) return payload;
  return { ...payload, [list]: (items as unknown[]).map((x, i) => (i === index ? masked : x)) };
};
