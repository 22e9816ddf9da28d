import type { ErasureSubject } from './caseCommand.js';
import { inEnvelopeOrder, type DomainEvent, type NotificationProvenance, type NotificationRequired } from './events.js';

/**
 * What an evidence export (`casestream export-case`) says about a case beyond its events: the
 * acts an auditor looks for (legal holds, erasures, the closing) and the notifications, each
 * derived from the case's events alone, so the export states nothing its events do not record.
 */

/** The shape of the export document; raised when a field changes meaning or goes away (a new field does not). */
export const CASE_EXPORT_FORMAT = 'casestream.case-export/1';

/** Who did what to the case, when and why, and the event that records it. */
export interface RecordedAct {
  readonly at: Date;
  readonly by: string;
  readonly reason: string;
  readonly event_id: string;
  readonly version: number;
}

/** A legal hold placed or lifted (LegalHoldPlaced, LegalHoldLifted). */
export interface LegalHoldAct extends RecordedAct {
  readonly action: 'placed' | 'lifted';
}

/** A data subject's personal data erased (PersonalDataErased): whose, and which fields; never the data. */
export interface ErasureAct extends RecordedAct {
  readonly subject: ErasureSubject;
  readonly fields: readonly string[];
}

/** The case's history as the export sums it up, in version order. */
export interface CaseHistory {
  readonly legal_holds: readonly LegalHoldAct[];
  readonly erasures: readonly ErasureAct[];
  /** The case's closing (CaseClosed); null while it is open. */
  readonly closure: RecordedAct | null;
  readonly notifications: readonly NotificationRequired[];
}

export const EMPTY_HISTORY: CaseHistory = { legal_holds: [], erasures: [], closure: null, notifications: [] };

const recorded = (e: DomainEvent, by: string, reason: string): RecordedAct => ({
  at: e.timestamp,
  by,
  reason,
  event_id: e.event_id,
  version: e.version,
});

/**
 * The history once `events`, the case's next events in version order, are added: one copy of each
 * list per call, so a long stream added a page at a time costs little.
 */
export const historyWith = (history: CaseHistory, events: readonly DomainEvent[]): CaseHistory => {
  const legal_holds = [...history.legal_holds];
  const erasures = [...history.erasures];
  const notifications = [...history.notifications];
  let closure = history.closure;
  for (const e of events) {
    switch (e.event_type) {
      case 'LegalHoldPlaced':
        legal_holds.push({ action: 'placed', ...recorded(e, e.payload.placed_by, e.payload.reason) });
        break;
      case 'LegalHoldLifted':
        legal_holds.push({ action: 'lifted', ...recorded(e, e.payload.lifted_by, e.payload.reason) });
        break;
      case 'PersonalDataErased':
        erasures.push({ ...recorded(e, e.payload.requested_by, e.payload.reason), subject: e.payload.subject, fields: e.payload.fields });
        break;
      // As the case's state does: a case closed twice (which decide never records) counts from the last.
      case 'CaseClosed':
        closure = recorded(e, e.payload.closed_by, e.payload.reason);
        break;
      case 'NotificationRequired':
        notifications.push(e);
        break;
    }
  }
  return { legal_holds, erasures, closure, notifications };
};

/** A notification as the export (and the API) lists it: its provenance null when recorded before casestream kept it, and whether Kafka acknowledged it. */
export type ExportedNotification = Omit<NotificationRequired, 'payload'> & {
  readonly payload: Omit<NotificationRequired['payload'], 'provenance'> & { readonly provenance: NotificationProvenance | null };
  readonly published: boolean;
};

export const exportedNotification = (e: NotificationRequired, published: boolean): ExportedNotification => ({
  ...inEnvelopeOrder(e),
  payload: { ...e.payload, provenance: e.payload.provenance ?? null },
  published,
});
