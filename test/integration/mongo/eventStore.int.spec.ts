import { expect } from 'chai';
import { Collection, MongoBulkWriteError } from 'mongodb';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import type { DomainEvent, NotificationRequired } from '../../../src/domain/events.js';
import {
  outboxCollection,
  createMongoEventStore,
  EVENTS_COLLECTION,
  positionId,
  toEventDocument,
  type EventDocument,
  type MongoEventStore,
} from '../../../src/infra/mongo/eventStore.js';
import type { AppendResult } from '../../../src/streams/ports.js';
import { creationCommand, rawKybMessage } from '../../unit/domain/fixtures.js';
import { forEachServerMode, freshId, personEvent, personEvents, useTestDatabase } from './support.js';

const rule = { rule_id: 'r-1', is_active: true, notification_type: 'WELCOME', template_id: 'tpl-1', language_code: 'fr' };

/** A real KYB case creation: the case stream, the company stream and a notification after the case's last version. */
const kybCase = (key: string) => {
  const cmd = creationCommand(rawKybMessage(), key);
  const events = decideCaseCreation(cmd);
  const caseEvents = events.filter((e) => e.aggregate_id === cmd.case_id);
  const notification = decideNotification(cmd, rule, caseEvents.length);
  return { cmd, caseEvents, companyEvents: events.filter((e) => e.aggregate_id !== cmd.case_id), notification };
};

// The event store has no FerretDB-specific path of its own; its indexes differ (see ensureIndexes).
forEachServerMode((mode) =>
describe(`MongoEventStore (integration, ${mode} path)`, function () {
  this.timeout(60_000);
  const t = useTestDatabase('events', mode);
  let store: MongoEventStore;
  const append = (events: readonly DomainEvent[], s: MongoEventStore = store): Promise<AppendResult> =>
    firstValueFrom(s.append(events));
  const load = (aggregate_id: string): Promise<DomainEvent[]> => firstValueFrom(store.load(aggregate_id));
  const stored = () => t.db.collection<EventDocument>(EVENTS_COLLECTION);

  before(() => {
    store = createMongoEventStore(t.db);
  });
  afterEach(() => sinon.restore());

  it("stores a case's events with versions 1..n and the documented fields", async () => {
    const { cmd, caseEvents, notification } = kybCase(freshId('kyb'));

    expect(await append([...caseEvents, notification])).to.deep.equal({ kind: 'appended', duplicates: 0 });

    const docs = await stored().find({ aggregate_id: cmd.case_id }, { sort: { version: 1 } }).toArray();
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
    expect(pending, 'the notification waits in the outbox').to.deep.include({ aggregate_id: cmd.case_id, version: last.version, event: last });
    expect(pending?.pending_since).to.be.instanceOf(Date);
    // version is stored as a BSON int, timestamp as a BSON date
    const [types] = await stored()
      .aggregate([{ $match: { event_id: first.event_id } }, { $project: { v: { $type: '$version' }, ts: { $type: '$timestamp' } } }])
      .toArray();
    expect(types).to.include({ v: 'int', ts: 'date' });
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
      .then(() => undefined, (e: unknown) => e);

    expect(error).to.be.instanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    expect(writeErrors.map((w) => [w.index, w.code])).to.deep.equal([
      [0, 11000],
      [2, 11000],
      [4, 11000],
    ]);
    expect(bulk.insertedCount).to.equal(2);
    expect((await load(aggregate)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4]);
  });

  it('returns an empty list when loading an aggregate that has no events', async () => {
    expect(await load(freshId('nothing'))).to.deep.equal([]);
  });

  it('loads the events of one aggregate in version order, exactly as they were appended', async () => {
    const { cmd, caseEvents, companyEvents, notification } = kybCase(freshId('load'));
    const all = [...caseEvents, notification];
    // appended in three calls, the later versions first
    await append(all.slice(3));
    await append(all.slice(0, 3));
    await append(companyEvents);

    expect(await load(cmd.case_id)).to.deep.equal(all);
    expect(await load(companyEvents[0]!.aggregate_id)).to.deep.equal(companyEvents);
  });

  it('serves loads of many aggregates at once with one read, each its own stream (the same one twice too)', async () => {
    const cases = [kybCase(freshId('many-a')), kybCase(freshId('many-b')), kybCase(freshId('many-c'))];
    for (const c of cases) await append([...c.caseEvents, c.notification]);
    const find = sinon.spy(Collection.prototype, 'find');

    const streams = await Promise.all([...cases.map((c) => load(c.cmd.case_id)), load(cases[0]!.cmd.case_id), load(freshId('none'))]);

    expect(find.callCount).to.equal(1);
    expect(streams).to.deep.equal([...cases.map((c) => [...c.caseEvents, c.notification]), [...cases[0]!.caseEvents, cases[0]!.notification], []]);
  });

  it('loads a long stream whole, in version order', async () => {
    const aggregate = freshId('long');
    const events = personEvents(aggregate, 1, 150);
    await append(events);

    expect(await load(aggregate)).to.deep.equal(events);
  });

  it('reports a redelivery as duplicates and stores nothing twice', async () => {
    const aggregate = freshId('dup');
    const events = personEvents(aggregate, 1, 4);
    await append(events);

    expect(await append(events)).to.deep.equal({ kind: 'appended', duplicates: 4 });
    expect(await stored().countDocuments({ aggregate_id: aggregate })).to.equal(4);
  });

  it('stores the new events of a partly redelivered append and counts the rest as duplicates', async () => {
    const aggregate = freshId('partial');
    await append(personEvents(aggregate, 1, 2));

    expect(await append(personEvents(aggregate, 1, 5))).to.deep.equal({ kind: 'appended', duplicates: 2 });
    expect((await load(aggregate)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('refuses a creation under a reused key with other content as key-reused, to that caller only, storing none of its events', async () => {
    const key = freshId('reused');
    const first = kybCase(key);
    await append([...first.caseEvents, ...first.companyEvents]);
    const before = [...(await load(first.cmd.case_id)), ...(await load(first.companyEvents[0]!.aggregate_id))];
    // Other content under the same key: the same ids for the versions both have, and one person more.
    const raw = rawKybMessage();
    const other = decideCaseCreation(creationCommand({ ...raw, persons: [...(raw.persons as unknown[]), { firstname: 'New', lastname: 'Comer' }] }, key));
    expect(other.length).to.be.greaterThan(before.length);
    const bystander = personEvents(freshId('bystander'), 1, 2);

    const [reused, mate] = await Promise.all([append(other), append(bystander)]);

    expect(reused).to.deep.equal({ kind: 'key-reused' });
    expect(mate).to.deep.equal({ kind: 'appended', duplicates: 0 });
    expect([...(await load(first.cmd.case_id)), ...(await load(first.companyEvents[0]!.aggregate_id))]).to.deep.equal(before);
  });

  it('still takes the very same events again as duplicates, and keeps their content hash', async () => {
    const { cmd, caseEvents } = kybCase(freshId('same'));
    await append(caseEvents);
    expect(await append(caseEvents)).to.deep.equal({ kind: 'appended', duplicates: caseEvents.length });
    expect((await load(cmd.case_id)).map((e) => e.metadata.content_hash)).to.deep.equal(caseEvents.map(() => cmd.content_hash));
  });

  it('accepts a redelivery onto events stored without a content hash (before keys were bound to content) as duplicates', async () => {
    const { cmd, caseEvents } = kybCase(freshId('legacy'));
    await stored().insertMany(
      caseEvents.map((e) => {
        const { content_hash: _, ...metadata } = e.metadata;
        return { ...toEventDocument(e), metadata };
      }),
    );
    expect(await append(caseEvents)).to.deep.equal({ kind: 'appended', duplicates: caseEvents.length });
    expect((await load(cmd.case_id)).every((e) => !('content_hash' in e.metadata))).to.equal(true);
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
    expect((await load(taken)).map((e) => e.metadata.correlation_id)).to.deep.equal(['msg-winner', 'msg-winner']);
    expect(await stored().countDocuments({ aggregate_id: { $in: [other1, other2] } })).to.equal(5);
  });

  it('removes the events a conflicting append did store after its conflict, leaving the stream as the winner wrote it', async () => {
    const aggregate = freshId('stale');
    await append(personEvents(aggregate, 1, 3, 'winner'));

    // versions 3..5 from a stale decision: 3 is taken, 4 and 5 were free
    expect(await append(personEvents(aggregate, 3, 5, 'stale'))).to.deep.equal({
      kind: 'conflict',
      aggregate_id: aggregate,
      version: 3,
    });

    const events = await load(aggregate);
    expect(events.map((e) => [e.version, e.metadata.correlation_id])).to.deep.equal([
      [1, 'msg-winner'],
      [2, 'msg-winner'],
      [3, 'msg-winner'],
    ]);
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
      expect((await load(id)).map((e) => [e.version, e.metadata.correlation_id])).to.deep.equal([
        [1, 'msg-base'],
        [2, winner],
      ]);
    }
  });

  it('never leaves a mix of two racing writers\' multi-event appends in a stream: at most one wins, the loser\'s events are gone', async () => {
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
      const expected =
        a.kind === 'appended' ? 'msg-writerA' : b.kind === 'appended' ? 'msg-writerB' : undefined;
      const events = await load(id);
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

  describe('notification outbox', () => {
    let notifications: NotificationRequired[];

    before(async () => {
      // a fresh store in a clean state: publish whatever earlier tests left pending
      const leftovers = await firstValueFrom(store.pendingNotifications(10_000));
      await firstValueFrom(store.markPublished(leftovers.map((n) => n.event_id)));
      const cases = [kybCase(freshId('outbox')), kybCase(freshId('outbox')), kybCase(freshId('outbox'))];
      for (const c of cases) await append([...c.caseEvents, c.notification]);
      notifications = cases
        .map((c) => c.notification)
        .sort((x, y) => (x.aggregate_id < y.aggregate_id ? -1 : x.aggregate_id > y.aggregate_id ? 1 : x.version - y.version));
    });

    it('lists pending notifications in (aggregate_id, version) order, as domain events, up to the limit', async () => {
      expect(await firstValueFrom(store.pendingNotifications(10))).to.deep.equal(notifications);
      expect(await firstValueFrom(store.pendingNotifications(2))).to.deep.equal(notifications.slice(0, 2));
    });

    it('lists only notifications appended before appendedBefore when given', async () => {
      expect(await firstValueFrom(store.pendingNotifications(10, new Date(Date.now() + 1000)))).to.deep.equal(notifications);
      expect(await firstValueFrom(store.pendingNotifications(10, new Date(Date.now() - 60_000)))).to.deep.equal([]);
    });

    it('no longer lists notifications once Kafka acknowledged them, and keeps their events', async () => {
      await firstValueFrom(store.markPublished([notifications[0]!.event_id]));

      expect(await firstValueFrom(store.pendingNotifications(10))).to.deep.equal(notifications.slice(1));
      expect(await outboxCollection(t.db).findOne({ _id: notifications[0]!.event_id })).to.equal(null);
      expect(await stored().findOne({ event_id: notifications[0]!.event_id })).to.not.equal(null);
    });

    it('takes an acknowledgement twice without complaint', async () => {
      await firstValueFrom(store.markPublished([notifications[0]!.event_id]));
      expect(await firstValueFrom(store.pendingNotifications(10))).to.deep.equal(notifications.slice(1));
    });

    it('puts a redelivered notification back in the outbox, so a crash between append and outbox entry cannot lose it', async () => {
      const n = notifications[0]!;
      expect(await append([n])).to.deep.equal({ kind: 'appended', duplicates: 1 });
      expect((await firstValueFrom(store.pendingNotifications(10))).map((e) => e.event_id)).to.include(n.event_id);
    });

    it('removes every entry when many publishers acknowledge at once, and no other', async () => {
      const pendingBefore = await firstValueFrom(store.pendingNotifications(10));
      const many = Array.from({ length: 120 }, () => kybCase(freshId('outbox-many')));
      await Promise.all(many.map((c) => append([...c.caseEvents, c.notification])));
      const ids = many.map((c) => c.notification.event_id);

      await Promise.all(ids.map((id) => firstValueFrom(store.markPublished([id]))));

      expect(await outboxCollection(t.db).countDocuments({ _id: { $in: ids } })).to.equal(0);
      expect(await firstValueFrom(store.pendingNotifications(10))).to.deep.equal(pendingBefore);
    });

    it('keeps only NotificationRequired events in the outbox', async () => {
      expect(await outboxCollection(t.db).countDocuments({ 'event.event_type': { $ne: 'NotificationRequired' } })).to.equal(0);
    });
  });
}),
);
