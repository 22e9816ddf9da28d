import type { DocumentStatus, EntityType } from './caseCommand.js';
import type { TraitementType } from './clientMessage.js';
import type { CaseEvent, DomainEvent } from './events.js';
import { subjectKey } from './personalData.js';

/** What the decisions need to know about one case, folded from its event stream. */

export interface DocumentRequirementState {
  readonly id: string;
  readonly entity_id: string;
  readonly entity_type: EntityType;
  readonly document_type: string;
  readonly status: DocumentStatus;
  /** How many notes its status updates have added, so that a document's notes stay bounded. */
  readonly notes: number;
}

export interface CaseFacts {
  readonly client_id: string;
  readonly case_type: string;
  readonly traitement_type: TraitementType;
  readonly company_id: string | null;
}

/** What a notification decided after the case's creation needs that the facts do not hold. */
export interface CaseCreation {
  /** The idempotency key of the message that created the case: its notification ids derive from it. */
  readonly key: string;
  /** The case's first person, whom its notifications address; null when it has none. */
  readonly first_person: { readonly firstname: string; readonly lastname: string } | null;
}

export interface CaseState {
  readonly case_id: string;
  /** The last version of the case stream; 0 when the case does not exist. */
  readonly version: number;
  readonly facts: CaseFacts | null;
  /** Null when the case does not exist. */
  readonly creation: CaseCreation | null;
  readonly personIds: ReadonlySet<string>;
  readonly documents: ReadonlyMap<string, DocumentRequirementState>;
  /**
   * The version of each notification the case recorded, by its id: so that a redelivered creation
   * does not decide one twice, and a redelivery can point an outbox entry at the stored one (see
   * notificationRequeue). Only these: a live case actor keeps its state in memory, so it stays small.
   */
  readonly notificationVersions: ReadonlyMap<string, number>;
  /**
   * Every message recorded on the case, by its idempotency key: the content hash the key stands for,
   * so that a key reused for other content is refused, and where its events are, so that its
   * redelivery can re-apply them as stored (see redelivery.ts).
   */
  readonly recordedKeys: ReadonlyMap<string, RecordedKey>;
  /** When the case was closed (CaseClosed); null while it is open. */
  readonly closed_at: Date | null;
  /** The subjects whose personal data was erased (PersonalDataErased), by subjectKey. */
  readonly erased: ReadonlySet<string>;
  /** Since when and why the case is under legal hold; null when it is not. */
  readonly legal_hold: LegalHold | null;
}

/** What the case stream holds of one message. */
export interface RecordedKey {
  /** The content hash the key stands for; undefined when its events carry none. */
  readonly hash: string | undefined;
  /**
   * The versions its events took on the case stream, from `first` to `last`: the run of one append.
   * A later event under the same key (a retried lookup's notification keeps the creation's) is not
   * counted unless it follows at once.
   */
  readonly first: number;
  readonly last: number;
}

export interface LegalHold {
  readonly since: Date;
  readonly reason: string;
}

// Every state's empty collections are these: no state is ever changed (a fold copies a collection
// before it adds to it), and most cases never fill some of them (notifications, erasures).
const NO_IDS: ReadonlySet<string> = new Set();
const NO_DOCUMENTS: ReadonlyMap<string, DocumentRequirementState> = new Map();
const NO_KEYS: ReadonlyMap<string, RecordedKey> = new Map();
const NO_VERSIONS: ReadonlyMap<string, number> = new Map();

export const emptyCase = (case_id: string): CaseState => ({
  case_id,
  version: 0,
  facts: null,
  creation: null,
  personIds: NO_IDS,
  documents: NO_DOCUMENTS,
  notificationVersions: NO_VERSIONS,
  recordedKeys: NO_KEYS,
  closed_at: null,
  erased: NO_IDS,
  legal_hold: null,
});

// Entry by entry: `new Map(map)` and `new Set(set)` go through an iterator, an object per entry.
const copyMap = <K, V>(from: ReadonlyMap<K, V>): Map<K, V> => {
  const to = new Map<K, V>();
  from.forEach((v, k) => to.set(k, v));
  return to;
};
const copySet = <T>(from: ReadonlySet<T>): Set<T> => {
  const to = new Set<T>();
  from.forEach((v) => to.add(v));
  return to;
};

/**
 * What one fold builds on: the state's fields, each collection copied the first time the fold's
 * events touch it (once per fold, not once per event); the others stay the state's own.
 */
class Folding {
  version: number;
  facts: CaseFacts | null;
  creation: CaseCreation | null;
  closed_at: Date | null;
  legal_hold: LegalHold | null;
  private copiedPersonIds: Set<string> | undefined;
  private copiedDocuments: Map<string, DocumentRequirementState> | undefined;
  private copiedNotificationVersions: Map<string, number> | undefined;
  private copiedRecordedKeys: Map<string, RecordedKey> | undefined;
  private copiedErased: Set<string> | undefined;
  /** The key whose run of versions the last events extend, kept as it grows and recorded once it ends: one object per message. */
  private runKey: string | undefined;
  private runHash: string | undefined;
  private runFirst = 0;

  constructor(private readonly from: CaseState) {
    this.version = from.version;
    this.facts = from.facts;
    this.creation = from.creation;
    this.closed_at = from.closed_at;
    this.legal_hold = from.legal_hold;
  }

  get personIds(): Set<string> {
    return (this.copiedPersonIds ??= copySet(this.from.personIds));
  }
  get documents(): Map<string, DocumentRequirementState> {
    return (this.copiedDocuments ??= copyMap(this.from.documents));
  }
  get notificationVersions(): Map<string, number> {
    return (this.copiedNotificationVersions ??= copyMap(this.from.notificationVersions));
  }
  get recordedKeys(): Map<string, RecordedKey> {
    return (this.copiedRecordedKeys ??= copyMap(this.from.recordedKeys));
  }

  /** Records the key of the event at `version` (the fold's next one): a new run, or the current one or a recorded one extended. */
  recordKey(key: string, hash: string | undefined, version: number): void {
    if (this.runKey === key && this.version === version - 1) return;
    this.endRun();
    const recorded = this.recordedKeys.get(key);
    if (recorded !== undefined && recorded.last !== version - 1) return;
    this.runKey = key;
    this.runHash = recorded === undefined ? hash : recorded.hash;
    this.runFirst = recorded === undefined ? version : recorded.first;
  }

  /** Records the current run of versions, which ends at the version folded last. */
  private endRun(): void {
    if (this.runKey === undefined) return;
    this.recordedKeys.set(this.runKey, { hash: this.runHash, first: this.runFirst, last: this.version });
    this.runKey = undefined;
  }
  get erased(): Set<string> {
    return (this.copiedErased ??= copySet(this.from.erased));
  }

  /** The folded state: the collections the events touched, copied; the others, the state's own. */
  folded(): CaseState {
    this.endRun();
    const from = this.from;
    return {
      case_id: from.case_id,
      version: this.version,
      facts: this.facts,
      creation: this.creation,
      personIds: this.copiedPersonIds ?? from.personIds,
      documents: this.copiedDocuments ?? from.documents,
      notificationVersions: this.copiedNotificationVersions ?? from.notificationVersions,
      recordedKeys: this.copiedRecordedKeys ?? from.recordedKeys,
      closed_at: this.closed_at,
      erased: this.copiedErased ?? from.erased,
      legal_hold: this.legal_hold,
    };
  }
}

/** The case's first person: the first one added. */
export const firstPersonId = (personIds: ReadonlySet<string>): string | undefined => personIds.values().next().value;

const applyCaseEvent = (s: Folding, e: CaseEvent): void => {
  s.recordKey(e.metadata.correlation_id, e.metadata.content_hash, e.version);
  s.version = e.version;
  switch (e.event_type) {
    case 'CaseCreated':
      s.facts = {
        client_id: e.payload.client_id,
        case_type: e.payload.case_type,
        traitement_type: e.payload.traitement_type,
        company_id: e.payload.company_id,
      };
      s.creation = { key: e.metadata.correlation_id, first_person: null };
      return;
    case 'PersonAddedToCase':
      s.personIds.add(e.payload.person_id);
      if (s.creation !== null && s.creation.first_person === null) {
        s.creation = { ...s.creation, first_person: { firstname: e.payload.firstname, lastname: e.payload.lastname } };
      }
      return;
    case 'DocumentRequirementDetermined': {
      const p = e.payload;
      s.documents.set(p.document_requirement_id, {
        id: p.document_requirement_id,
        entity_id: p.entity_id,
        entity_type: p.entity_type,
        document_type: p.document_type,
        status: 'AWAITING_UPLOAD',
        notes: 0,
      });
      return;
    }
    case 'DocumentStatusUpdated': {
      const doc = s.documents.get(e.payload.document_requirement_id);
      if (doc) s.documents.set(doc.id, { ...doc, status: e.payload.new_status, notes: doc.notes + e.payload.notes_added.length });
      return;
    }
    case 'NotificationRequired':
      s.notificationVersions.set(e.event_id, e.version);
      return;
    case 'CaseClosed':
      s.closed_at = e.timestamp;
      return;
    case 'PersonalDataErased':
      s.erased.add(subjectKey(e.payload.subject));
      // The first person is the first added (personIds keeps insertion order): their names go.
      if (s.creation !== null && e.payload.subject.kind === 'person' && firstPersonId(s.personIds) === e.payload.subject.id) {
        s.creation = { ...s.creation, first_person: null };
      }
      return;
    case 'LegalHoldPlaced':
      s.legal_hold = { since: e.timestamp, reason: e.payload.reason };
      return;
    case 'LegalHoldLifted':
      s.legal_hold = null;
      return;
  }
};

/**
 * Folds events into the case state; events of other aggregates (the company stream) and versions
 * already folded are ignored. The given state is never changed: the new one shares with it the
 * collections its events leave as they were.
 */
export const evolveCase = (state: CaseState, events: readonly DomainEvent[]): CaseState => {
  if (!events.some((e) => e.aggregate_id === state.case_id && e.version > state.version)) return state;
  const s = new Folding(state);
  for (const e of events) if (e.aggregate_id === state.case_id && e.version > s.version) applyCaseEvent(s, e as CaseEvent);
  return s.folded();
};
