import type { Db } from 'mongodb';
import type { DomainEvent } from '../../domain/events.js';
import type { CaseExportReads } from '../../streams/caseExport.js';
import { createMongoApiQueries } from './caseQueries.js';
import { eventsCollection, outboxCollection, readStream } from './eventStore.js';

/** At most `limit` events of a stream from version `from` on, in version order, up to the first version not stored. */
export const readEventPage = (db: Db, aggregate_id: string, from: number, limit: number): Promise<DomainEvent[]> =>
  readStream(eventsCollection(db), aggregate_id, from, limit);

/**
 * The reads of `casestream export-case` on the casestream database: events by position, the read
 * models through the API's own queries (bounded by what one case holds: its persons, documents and
 * owners), and the case's entries of the small outbox.
 */
export const createMongoCaseExportReads = (db: Db): CaseExportReads => {
  const queries = createMongoApiQueries(db);
  return {
    events: (aggregate_id, from, limit) => readEventPage(db, aggregate_id, from, limit),
    readModels: async (case_id, company_id) => {
      const [found, persons, document_requirements, company, beneficial_owners] = await Promise.all([
        queries.getCase(case_id),
        queries.personsOfCase(case_id),
        queries.documentRequirementsOfCase(case_id, {}),
        company_id === null ? undefined : queries.getCompany(company_id),
        company_id === null ? [] : queries.beneficialOwners(company_id),
      ]);
      return { case: found, persons, document_requirements, company, beneficial_owners };
    },
    unpublishedNotifications: async (case_id) => {
      const pending = await outboxCollection(db)
        .find({ aggregate_id: case_id }, { projection: { _id: 1 } })
        .toArray();
      return new Set(pending.map((p) => p._id));
    },
  };
};
