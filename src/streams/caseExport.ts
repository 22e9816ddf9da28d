import { CASE_EXPORT_FORMAT, EMPTY_HISTORY, exportedNotification, historyWith } from '../domain/caseExport.js';
import { inEnvelopeOrder } from '../domain/events.js';
import type { DomainEvent } from '../domain/events.js';
import { jsonLines, Later, StreamedArray } from '../lib/streamedJson.js';

/** A read-model document as the API shows it (no `_id`, no `applied`). */
export type ReadModelDocument = Readonly<Record<string, unknown>>;

/** A case's read models; the company's and its beneficial owners' when the case has a company. */
export interface CaseReadModels {
  readonly case: ReadModelDocument | undefined;
  readonly persons: readonly ReadModelDocument[];
  readonly document_requirements: readonly ReadModelDocument[];
  readonly company: ReadModelDocument | undefined;
  readonly beneficial_owners: readonly ReadModelDocument[];
}

/**
 * What an export reads. Pulled (promises), not pushed: the export reads the next page of events
 * only once the previous one is written, so a slow file or pipe holds the reads back.
 */
export interface CaseExportReads {
  /** At most `limit` events of a stream from version `from` on, in version order; fewer once the stream ends. */
  events(aggregate_id: string, from: number, limit: number): Promise<readonly DomainEvent[]>;
  readModels(case_id: string, company_id: string | null): Promise<CaseReadModels>;
  /** The ids of the case's notifications that Kafka has not acknowledged yet (the outbox). */
  unpublishedNotifications(case_id: string): Promise<ReadonlySet<string>>;
}

export interface CaseExportOptions {
  readonly exported_at: Date;
  /** Events read (and held) at once (default EXPORT_PAGE_SIZE). */
  readonly pageSize?: number;
}

/** Events held in memory at once by an export: a stream of any length is read and written page by page. */
export const EXPORT_PAGE_SIZE = 256;

/** A stream's events a page at a time, from `first` (its first page, when already read) to its end. */
async function* pagesOf(
  reads: CaseExportReads,
  aggregate_id: string,
  pageSize: number,
  first?: readonly DomainEvent[],
): AsyncGenerator<readonly DomainEvent[]> {
  let next = 1;
  let page = first ?? (await reads.events(aggregate_id, next, pageSize));
  while (page.length > 0) {
    yield page.map((e) => inEnvelopeOrder(e));
    if (page.length < pageSize) return;
    next += page.length;
    page = await reads.events(aggregate_id, next, pageSize);
  }
}

/**
 * The evidence export of a case, as JSON text in chunks of whole lines (see jsonLines), or
 * undefined when no case has that id (its stream does not begin with CaseCreated). The document
 * (format CASE_EXPORT_FORMAT; README, Operations):
 * - `format`, `exported_at`, `case_id`;
 * - the read models as read first: `case` (null while not projected yet), `persons`,
 *   `beneficial_owners`, `document_requirements`; personal data an erasure masked shows masked;
 * - `company`: null, or `{company_id, read_model, events}` with the company stream's events;
 * - `events`: every event of the case stream in version order, with its envelope, up to the last
 *   one stored when the export reaches the stream's end (so possibly newer than the read models);
 * - derived from those events: `notifications` (each NotificationRequired with its provenance and
 *   `published`, read from the outbox after the events), `legal_holds`, `erasures`, `closure`.
 * At most `pageSize` events are held at once; the derived lists grow with their own events only.
 */
export const exportCase = async (
  reads: CaseExportReads,
  case_id: string,
  options: CaseExportOptions,
): Promise<AsyncGenerator<string> | undefined> => {
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
  const first = await reads.events(case_id, 1, pageSize);
  const created = first[0];
  if (created?.event_type !== 'CaseCreated') return undefined;
  const { company_id } = created.payload;
  const models = await reads.readModels(case_id, company_id);
  let history = EMPTY_HISTORY;
  const caseEvents = async function* () {
    for await (const page of pagesOf(reads, case_id, pageSize, first)) {
      history = historyWith(history, page);
      yield page;
    }
  };
  return jsonLines({
    format: CASE_EXPORT_FORMAT,
    exported_at: options.exported_at,
    case_id,
    case: models.case ?? null,
    persons: models.persons,
    beneficial_owners: models.beneficial_owners,
    document_requirements: models.document_requirements,
    company:
      company_id === null
        ? null
        : { company_id, read_model: models.company ?? null, events: new StreamedArray(pagesOf(reads, company_id, pageSize)) },
    events: new StreamedArray(caseEvents()),
    // Rendered after the events, once `history` holds them all. The outbox is read after them too:
    // a notification they hold was appended before, so it is there unless Kafka acknowledged it.
    notifications: new Later(async () => {
      const unpublished = await reads.unpublishedNotifications(case_id);
      return history.notifications.map((n) => exportedNotification(n, !unpublished.has(n.event_id)));
    }),
    legal_holds: new Later(() => history.legal_holds),
    erasures: new Later(() => history.erasures),
    closure: new Later(() => history.closure),
  });
};
