import { expect } from 'chai';
import { Collection, MongoBulkWriteError, MongoNetworkError } from 'mongodb';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import {
  outboxCollection,
  createMongoEventStore,
  EVENTS_COLLECTION,
  fromEventDocument,
  positionId,
  toEventDocument,
  type EventDocument,
  type MongoEventStore,
} from '../../../src/infra/mongo/eventStore.js';
import { UnstorableInput, type AppendResult } from '../../../src/streams/ports.js';
import { kybCase } from '../../contract/fixtures.js';
import { forEachServerMode, freshId, personEvent, personEvents, useTestDatabase } from './support.js';

// The event store has no FerretDB-specific path of its own; its indexes differ (see ensureIndexes).
// The rules every EventStore keeps are in test/contract (run by storeContracts.int.spec.ts); here,
// what only this adapter does: its documents, batching, and races between two clients.
forEachServerMode((mode) =>
  describe(`MongoEventStore (integration, ${mode} path)`, function () {
    this.timeout(60_000);
    const t = useTestDatabase('events', mode);
    let store: MongoEventStore;
    const append = (events: readonly DomainEvent[], s: MongoEventStore = store): Promise<AppendResult> => firstValueFrom(s.append(events));
    const load = (case_id: string): Promise<CaseState> => firstValueFrom(store.load(case_id));
    const stored = () => t.db.collection<EventDocument>(EVENTS_COLLECTION);
    /** The stored events of one aggregate in version order. */
    const streamOf = async (aggregate_id: string): Promise<DomainEvent[]> =>
      (
        await stored()
          .find({ aggregate_id }, { sort: { version: 1 } })
          .toArray()
      ).map(fromEventDocument);

    before(() => {
      store = createMongoEventStore(t.db);
    });
    afterEach(() => sinon.restore());

    it("stores a case's events with versions 1..n and the documented fields", async () => {
      const { cmd, caseEvents, notification } = kybCase(freshId('kyb'));

      expect(await append([...caseEvents, notification])).to.deep.equal({ kind: 'appended', duplicates: 0 });

      const docs = await stored()
        .find({ aggregate_id: cmd.case_id }, { sort: { version: 1 } })
        .toArray();
      expect(docs.map((d) => d.version)).to.deep.equal(Array.from({ length: caseEvents.length + 1 }, (_, i) => i + 1));
      const first = docs[0]!;
      expect(Object.keys(first).sort()).to.deep.equal(
        ['_id', 'aggregate_id', 'event_id', 'event_type', 'metadata', 'payload', 'timestamp', 'version'].sort(),
      );
      expect(first._id, 'the stream position').to.equal(positionId(cmd.case_id, 1));
      expect(first.timestamp).to.be.instanceOf(Date);
      expect(first.event_type).to.equal('CaseCreated');
      const last = docs[docs.length - 1]!;
      expect(last.event_type).to.equal('NotificationRequired');
      const pending = await outboxCollection(t.db).findOne({ _id: last.event_id });
      expect(pending, 'the notification waits in the outbox, as a pointer to its event').to.deep.include({
        aggregate_id: cmd.case_id,
        version: last.version,
      });
      expect(Object.keys(pending!).sort()).to.deep.equal(['_id', 'aggregate_id', 'pending_since', 'version']);
      expect(pending?.pending_since).to.be.instanceOf(Date);
      // version is stored as a BSON int, timestamp as a BSON date
      const [types] = await stored()
        .aggregate([{ $match: { event_id: first.event_id } }, { $project: { v: { $type: '$version' }, ts: { $type: '$timestamp' } } }])
        .toArray();
      expect(types).to.include({ v: 'int', ts: 'date' });
    });

    it('publishes an outbox entry by the event stored at its position, and removes one whose position holds another event or none', async () => {
      const c = kybCase(freshId('pointer'));
      await append([...c.caseEvents, c.notification]);
      const { aggregate_id, version } = c.notification;
      const long_ago = new Date(0);
      await outboxCollection(t.db).insertMany([
        { _id: freshId('other-event'), aggregate_id, version, pending_since: long_ago },
        { _id: freshId('no-event'), aggregate_id, version: version + 5, pending_since: long_ago },
      ]);
      const ids = (await firstValueFrom(store.pendingNotifications(10_000))).map((n) => n.event_id);
      expect(ids).to.include(c.notification.event_id);
      expect(await outboxCollection(t.db).countDocuments({ aggregate_id })).to.equal(1);
      expect(await firstValueFrom(store.pendingNotifications(10_000))).to.deep.include(c.notification);
    });

    it("dates a re-queued entry the relay's grace earlier, so that its next pass publishes it, while a fresh append's entry waits out the grace", async () => {
      const graced = createMongoEventStore(t.db, { outboxGraceMs: 60_000 });
      const [fresh, lost] = [kybCase(freshId('fresh')), kybCase(freshId('lost'))];
      await append([...lost.caseEvents, lost.notification], graced);
      await firstValueFrom(graced.markPublished([lost.notification.event_id]), { defaultValue: undefined });
      await append([...fresh.caseEvents, fresh.notification], graced);
      const { event_id, aggregate_id, version } = lost.notification;

      await firstValueFrom(graced.requeue([{ event_id, aggregate_id, version }]), { defaultValue: undefined });

      const due = (await firstValueFrom(graced.pendingNotifications(10_000, new Date(Date.now() - 60_000)))).map((n) => n.event_id);
      expect(due).to.include(event_id);
      expect(due).not.to.include(fresh.notification.event_id);
    });

    it('fails a re-queue that the server refuses for any reason but an entry already there, so that its message is retried', async () => {
      const { notification } = kybCase(freshId('refused'));
      const { event_id, aggregate_id, version } = notification;
      const requeue = () => firstValueFrom(store.requeue([{ event_id, aggregate_id, version }]), { defaultValue: undefined });
      const insertMany = sinon.stub(Collection.prototype, 'insertMany');
      insertMany.rejects(
        new MongoBulkWriteError(
          { message: 'refused', code: 91, writeErrors: [{ index: 0, code: 91, errmsg: 'shutdown in progress' }] } as never,
          {} as never,
        ),
      );
      const refused = await requeue().catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(Error).and.not.to.be.instanceOf(UnstorableInput);
      expect((refused as Error).message).to.contain('shutdown in progress');
      const outage = new MongoNetworkError('connection reset');
      insertMany.rejects(outage);
      expect(await requeue().catch((e: unknown) => e)).to.equal(outage);
    });

    it('relies on the server reporting every failing document of an unordered insertMany, by index, and storing the rest', async () => {
      const aggregate = freshId('shape');
      await append(personEvents(aggregate, 1, 2, 'first'));
      const docs = [
        personEvent(aggregate, 1, 'first'), // same event_id: a duplicate
        personEvent(aggregate, 3, 'first'), // free
        personEvent(aggregate, 2, 'other'), // taken version
        personEvent(aggregate, 4, 'first'), // free
        personEvent(aggregate, 4, 'other'), // clashes with the document just before it
      ].map(toEventDocument);

      const error = await stored()
        .insertMany(docs, { ordered: false })
        .then(
          () => undefined,
          (e: unknown) => e,
        );

      expect(error).to.be.instanceOf(MongoBulkWriteError);
      const bulk = error as MongoBulkWriteError;
      const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
      expect(writeErrors.map((w) => [w.index, w.code])).to.deep.equal([
        [0, 11000],
        [2, 11000],
        [4, 11000],
      ]);
      expect(bulk.insertedCount).to.equal(2);
      expect((await streamOf(aggregate)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4]);
    });

    it('serves concurrent loads of many cases, each its own state (the same one twice too), reading only their documents by _id', async () => {
      const cases = [kybCase(freshId('many-a')), kybCase(freshId('many-b')), kybCase(freshId('many-c'))];
      for (const c of cases) await append([...c.caseEvents, c.notification]);
      const none = freshId('none');
      const find = sinon.spy(Collection.prototype, 'find'); // findOne too goes through find

      const states = await Promise.all([...cases.map((c) => load(c.cmd.case_id)), load(cases[0]!.cmd.case_id), load(none)]);

      const foldOf = (c: (typeof cases)[number]) => evolveCase(emptyCase(c.cmd.case_id), [...c.caseEvents, c.notification]);
      expect(states).to.deep.equal([...cases.map(foldOf), foldOf(cases[0]!), emptyCase(none)]);
      const filters = find.args.map(([filter]) => filter as Record<string, unknown>);
      expect(filters).to.not.be.empty;
      expect(
        filters.filter((f) => Object.keys(f).join() !== '_id' || typeof f['_id'] !== 'string'),
        'no query but by one _id',
      ).to.deep.equal([]);
    });

    it('reports a different event at a taken version as a conflict to that caller only, while other callers in the same batch succeed', async () => {
      const taken = freshId('taken');
      const other1 = freshId('other1');
      const other2 = freshId('other2');
      await append(personEvents(taken, 1, 2, 'winner'));
      const insertMany = sinon.spy(Collection.prototype, 'insertMany');

      const [a, b, c] = await Promise.all([
        append(personEvents(other1, 1, 2)),
        append([personEvent(taken, 2, 'loser')]),
        append(personEvents(other2, 1, 3)),
      ]);

      expect(insertMany.callCount, 'one insertMany for the three callers').to.equal(1);
      expect(a).to.deep.equal({ kind: 'appended', duplicates: 0 });
      expect(b).to.deep.equal({ kind: 'conflict', aggregate_id: taken, version: 2 });
      expect(c).to.deep.equal({ kind: 'appended', duplicates: 0 });
      expect((await streamOf(taken)).map((e) => e.metadata.correlation_id)).to.deep.equal(['msg-winner', 'msg-winner']);
      expect(await stored().countDocuments({ aggregate_id: { $in: [other1, other2] } })).to.equal(5);
    });

    it('withdraws the outbox entry it wrote beside a notification whose append lost its version to another event', async () => {
      const c = kybCase(freshId('withdrawn'));
      await append(c.caseEvents);
      await append([personEvent(c.cmd.case_id, c.notification.version, 'winner')]);

      expect(await append([c.notification])).to.deep.equal({
        kind: 'conflict',
        aggregate_id: c.cmd.case_id,
        version: c.notification.version,
      });

      expect(await outboxCollection(t.db).findOne({ _id: c.notification.event_id })).to.equal(null);
      const pending = await firstValueFrom(store.pendingNotifications(10_000));
      expect(pending.map((n) => n.event_id)).not.to.include(c.notification.event_id);
    });

    it('lets exactly one of two writers (two MongoClients) win each race to append different events at one version', async () => {
      const other = await t.connectAnother();
      const storeA = createMongoEventStore(t.db);
      const storeB = createMongoEventStore(other.db);
      const aggregates = Array.from({ length: 20 }, () => freshId('race'));
      // every aggregate already has version 1; both writers decide version 2 on that state
      await append(aggregates.map((id) => personEvent(id, 1, 'base')));

      const races = await Promise.all(
        aggregates.map(async (id) => {
          const [a, b] = await Promise.all([
            append([personEvent(id, 2, 'writerA')], storeA),
            append([personEvent(id, 2, 'writerB')], storeB),
          ]);
          return { id, a, b };
        }),
      );

      for (const { id, a, b } of races) {
        expect([a.kind, b.kind].sort(), `race on ${id}`).to.deep.equal(['appended', 'conflict']);
        const winner = a.kind === 'appended' ? 'msg-writerA' : 'msg-writerB';
        expect(a.kind === 'appended' ? b : a).to.deep.equal({ kind: 'conflict', aggregate_id: id, version: 2 });
        expect((await streamOf(id)).map((e) => [e.version, e.metadata.correlation_id])).to.deep.equal([
          [1, 'msg-base'],
          [2, winner],
        ]);
      }
    });

    it("never leaves a mix of two racing writers' multi-event appends in a stream: at most one wins, the loser's events are gone", async () => {
      const other = await t.connectAnother();
      const storeA = createMongoEventStore(t.db);
      const storeB = createMongoEventStore(other.db);
      const aggregates = Array.from({ length: 20 }, () => freshId('race3'));
      await append(aggregates.map((id) => personEvent(id, 1, 'base')));

      const races = await Promise.all(
        aggregates.map(async (id) => {
          const [a, b] = await Promise.all([
            append(personEvents(id, 2, 4, 'writerA'), storeA),
            append(personEvents(id, 2, 4, 'writerB'), storeB),
          ]);
          return { id, a, b };
        }),
      );

      for (const { id, a, b } of races) {
        // Both may lose when their inserts interleave (A takes v2, B takes v3): each then removes its
        // own events and retries on fresh state. Both winning is impossible.
        expect([a.kind, b.kind], `race on ${id}`).to.not.deep.equal(['appended', 'appended']);
        const expected = a.kind === 'appended' ? 'msg-writerA' : b.kind === 'appended' ? 'msg-writerB' : undefined;
        const events = await streamOf(id);
        expect(events.map((e) => [e.version, e.metadata.correlation_id])).to.deep.equal([
          [1, 'msg-base'],
          ...(expected === undefined ? [] : [2, 3, 4].map((v) => [v, expected])),
        ]);
      }
    });

    it('gives exactly one of two writers appending the very same events "appended" and the other duplicates', async () => {
      const other = await t.connectAnother();
      const storeB = createMongoEventStore(other.db);
      const aggregate = freshId('same');
      const events = personEvents(aggregate, 1, 3);

      const [a, b] = await Promise.all([append(events), append(events, storeB)]);

      expect([a.kind, b.kind]).to.deep.equal(['appended', 'appended']);
      expect((a.kind === 'appended' ? a.duplicates : 0) + (b.kind === 'appended' ? b.duplicates : 0)).to.equal(3);
      expect(await stored().countDocuments({ aggregate_id: aggregate })).to.equal(3);
    });

    it('batches many concurrent appends from many aggregates into few insertMany calls, and all of them land', async () => {
      const batched = createMongoEventStore(t.db, { maxBatch: 50 });
      const insertMany = sinon.spy(Collection.prototype, 'insertMany');
      const aggregates = Array.from({ length: 200 }, () => freshId('many'));

      const results = await Promise.all(aggregates.map((id) => append(personEvents(id, 1, 3), batched)));

      expect(results.every((r) => r.kind === 'appended' && r.duplicates === 0)).to.equal(true);
      expect(insertMany.callCount).to.be.at.most(4).and.at.least(4); // 200 appends / maxBatch 50
      expect(insertMany.getCalls().every((c) => (c.args[0] as unknown[]).length === 150)).to.equal(true);
      expect(await stored().countDocuments({ aggregate_id: { $in: aggregates } })).to.equal(600);
    });

    it('lets appends that arrive while a batch is in flight join the next, bigger batch', async () => {
      const insertMany = sinon.spy(Collection.prototype, 'insertMany');
      const aggregates = Array.from({ length: 60 }, () => freshId('waves'));

      // 60 appends spread over several ticks: later ones queue while the first insertMany runs
      const results = await Promise.all(
        aggregates.map(async (id, i) => {
          await new Promise((resolve) => setTimeout(resolve, Math.floor(i / 10)));
          return append(personEvents(id, 1, 2));
        }),
      );

      expect(results.every((r) => r.kind === 'appended')).to.equal(true);
      expect(insertMany.callCount).to.be.below(60);
      expect(await stored().countDocuments({ aggregate_id: { $in: aggregates } })).to.equal(120);
    });
  }),
);
