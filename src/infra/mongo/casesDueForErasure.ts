import type { Db } from 'mongodb';
import type { ReadModelName } from '../../domain/projections.js';

const CASES: ReadModelName = 'cases';

/** A case closed before the retention cutoff: its personal data may now be erased (never by casestream itself). */
export interface CaseDueForErasure {
  readonly case_id: string;
  readonly client_id: string;
  readonly type: string;
  readonly traitement_type: string;
  readonly closed_at: Date;
  readonly closure_reason: string | null;
  /** Set while the case is under legal hold: its erasure is refused until the hold is lifted. */
  readonly legal_hold: { readonly since: Date; readonly reason: string } | null;
}

interface ClosedCaseDocument {
  _id: string;
  client_id: string;
  type: string;
  traitement_type: string;
  closed_at: Date;
  closure_reason?: string;
  legal_hold?: { since: Date; reason: string } | null;
}

/**
 * The cases of the `cases` read model closed before `closedBefore`, longest closed first, at most
 * `limit`, with their legal hold if any. Read-only: the report is for a person to act on.
 */
export const casesDueForErasure = async (db: Db, closedBefore: Date, limit: number): Promise<CaseDueForErasure[]> => {
  const closed = await db
    .collection<ClosedCaseDocument>(CASES)
    .find(
      { status: 'CLOSED', closed_at: { $lt: closedBefore } },
      { projection: { _id: 1, client_id: 1, type: 1, traitement_type: 1, closed_at: 1, closure_reason: 1, legal_hold: 1 } },
    )
    .sort({ closed_at: 1, _id: 1 })
    .limit(limit)
    .toArray();
  return closed.map((d) => ({
    case_id: d._id,
    client_id: d.client_id,
    type: d.type,
    traitement_type: d.traitement_type,
    closed_at: d.closed_at,
    closure_reason: d.closure_reason ?? null,
    legal_hold: d.legal_hold ?? null,
  }));
};
