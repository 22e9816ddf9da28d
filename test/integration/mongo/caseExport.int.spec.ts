import { expect } from 'chai';
import type { DomainEvent } from '../../../src/domain/events.js';
import { createMongoCaseExportReads, readEventPage } from '../../../src/infra/mongo/caseExport.js';
import { eventsCollection, outboxCollection, toEventDocument } from '../../../src/infra/mongo/eventStore.js';
import { caseStream, type Step } from '../../support/caseStreams.js';
import { useTestDatabase } from './support.js';

describe('the reads of an evidence export, on the real server', () => {
  const t = useTestDatabase('case_export');
  const kinds = ['person', 'notification', 'document'] as const;
  const stream = caseStream(
    'c1',
    Array.from({ length: 69 }, (_, i): Step => [kinds[i % 3]!, i, 0, true]),
  );
  const other = caseStream('c2', [['notification', 0, 0, true]]);
  const notificationsOf = (events: readonly DomainEvent[]) => events.filter((e) => e.event_type === 'NotificationRequired');

  before(async () => {
    await eventsCollection(t.db).insertMany([...stream, ...other].map(toEventDocument));
    const pending = [notificationsOf(stream)[1]!, ...notificationsOf(other)];
    await outboxCollection(t.db).insertMany(
      pending.map((e) => ({
        _id: e.event_id,
        aggregate_id: e.aggregate_id,
        version: e.version,
        pending_since: e.timestamp,
      })),
    );
  });

  it('reads a stream a page at a time, of any page size, in version order, up to its last event', async () => {
    expect(stream).to.have.length(70);
    for (const size of [1, 31, 32, 33, 70, 100]) {
      const read: DomainEvent[] = [];
      for (
        let page = await readEventPage(t.db, 'c1', 1, size);
        page.length > 0;
        page = await readEventPage(t.db, 'c1', read.length + 1, size)
      ) {
        expect(page.length, `a page of ${size}`).to.be.at.most(size);
        read.push(...page);
      }
      expect(read, `pages of ${size}`).to.deep.equal(stream);
    }
    expect(await readEventPage(t.db, 'c1', 65, 10)).to.deep.equal(stream.slice(64));
    expect(await readEventPage(t.db, 'nobody', 1, 10)).to.deep.equal([]);
  });

  it("lists the case's notifications the outbox still holds, and no other case's", async () => {
    const unpublished = await createMongoCaseExportReads(t.db).unpublishedNotifications('c1');
    expect([...unpublished]).to.deep.equal([notificationsOf(stream)[1]!.event_id]);
  });

  it('reads the read models of a case through the API queries, with no company for a case without one', async () => {
    await t.db
      .collection<Record<string, unknown> & { _id: string }>('cases')
      .insertOne({ _id: 'c1', id: 'c1', client_id: 'client-c1', applied: { case: 70 } });
    await t.db
      .collection<Record<string, unknown> & { _id: string }>('persons')
      .insertOne({ _id: 'p1', id: 'p1', case_id: 'c1', created_at: stream[0]!.timestamp });
    const models = await createMongoCaseExportReads(t.db).readModels('c1', null);
    expect(models).to.deep.equal({
      case: { id: 'c1', client_id: 'client-c1' },
      persons: [{ id: 'p1', case_id: 'c1', created_at: stream[0]!.timestamp }],
      document_requirements: [],
      company: undefined,
      beneficial_owners: [],
    });
  });
});
