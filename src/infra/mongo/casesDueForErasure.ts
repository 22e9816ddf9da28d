import type { Db } from 'mongodb';
import { holdsPersonalData, PERSONAL_DATA, type PersonalReadModel } from '../../domain/personalData.js';
import type { ReadModelName } from '../../domain/projections.js';

const CASES: ReadModelName = 'cases';
const PERSONAL_READ_MODELS = Object.keys(PERSONAL_DATA.readModels) as PersonalReadModel[];

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
  /** How many of its data subjects (persons, beneficial owners) still hold personal data in the read models. */
  readonly personal_data_left: number;
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

/** A person's or a beneficial owner's read-model document: its case and its personal fields. */
export interface SubjectDocument {
  readonly case_id: string;
  readonly [field: string]: unknown;
}

/** How many subjects of each case still hold personal data, from the documents of each personal read model. */
export const personalDataLeft = (
  documents: Readonly<Partial<Record<PersonalReadModel, readonly SubjectDocument[]>>>,
): ReadonlyMap<string, number> => {
  const left = new Map<string, number>();
  for (const model of PERSONAL_READ_MODELS) {
    for (const d of documents[model] ?? []) if (holdsPersonalData(model, d)) left.set(d.case_id, (left.get(d.case_id) ?? 0) + 1);
  }
  return left;
};

/** A page of closed cases past retention, as the report shows it. */
export interface ErasureReportPage {
  /** Still hold personal data: for a person to erase. */
  readonly cases: readonly CaseDueForErasure[];
  /** Under legal hold, whatever they hold: their erasure is refused until the hold is lifted. */
  readonly held: readonly CaseDueForErasure[];
  /** Nothing left to erase: every subject is masked (or the case never had one). */
  readonly erased: readonly CaseDueForErasure[];
}

export const splitForErasure = (page: readonly CaseDueForErasure[]): ErasureReportPage => ({
  cases: page.filter((c) => c.legal_hold === null && c.personal_data_left > 0),
  held: page.filter((c) => c.legal_hold !== null),
  erased: page.filter((c) => c.legal_hold === null && c.personal_data_left === 0),
});

/**
 * The documents of `model` of the given cases, with only their case and personal fields. On FerretDB
 * a `$in` filter reads the whole collection (docs/ferretdb.md): acceptable for an ops report, one
 * query per collection and page.
 */
const subjectsOf = (db: Db, model: PersonalReadModel, caseIds: readonly string[]): Promise<SubjectDocument[]> => {
  const fields = Object.fromEntries(Object.keys(PERSONAL_DATA.readModels[model].masks).map((path) => [path, 1]));
  return db
    .collection<SubjectDocument>(model)
    .find({ case_id: { $in: [...caseIds] } }, { projection: { _id: 0, case_id: 1, ...fields } })
    .toArray();
};

/**
 * The cases of the `cases` read model closed before `closedBefore`, longest closed first, at most
 * `limit`, with their legal hold if any and how many of their subjects still hold personal data.
 * Read-only: the report is for a person to act on.
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
  const caseIds = closed.map((d) => d._id);
  const documents =
    caseIds.length === 0
      ? {}
      : Object.fromEntries(await Promise.all(PERSONAL_READ_MODELS.map(async (m) => [m, await subjectsOf(db, m, caseIds)] as const)));
  const left = personalDataLeft(documents);
  return closed.map((d) => ({
    case_id: d._id,
    client_id: d.client_id,
    type: d.type,
    traitement_type: d.traitement_type,
    closed_at: d.closed_at,
    closure_reason: d.closure_reason ?? null,
    legal_hold: d.legal_hold ?? null,
    personal_data_left: left.get(d._id) ?? 0,
  }));
};
