import { expect } from 'chai';
import fc from 'fast-check';
import { Collection, MongoClient, type CommandStartedEvent, type Document } from 'mongodb';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import type { CaseState } from '../../../src/domain/caseState.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import { snapshotsCollection, SNAPSHOTS_COLLECTION, toSnapshotDocument } from '../../../src/infra/mongo/caseSnapshots.js';
import {
  createMongoEventStore,
  DEFAULT_SNAPSHOT_EVERY,
  eventsCollection,
  EVENTS_COLLECTION,
  positionId,
  toEventDocument,
  type MongoEventStore,
} from '../../../src/infra/mongo/eventStore.js';
import { replayReadModels } from '../../../src/infra/mongo/replayReadModels.js';
import type { AppendResult } from '../../../src/streams/ports.js';
import { kybCase } from '../../contract/fixtures.js';
import { caseSteps, caseStream, foldOf } from '../../support/caseStreams.js';
import { forEachServerMode, freshId, guardsOf, MONGO_URI, personEvents, useTestDatabase } from './support.js';

/** How a test leaves the case's snapshot before the load. */
const TAMPERINGS = ['as written', 'missing', 'stale', 'ahead of the events', 'of a rewritten stream', 'unreadable', 'of format 1'] as const;
type Tampering = (typeof TAMPERINGS)[number];

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The snapshots the event store keeps (see src/infra/mongo/caseSnapshots.ts): a cache of each
// case's fold, which a load must never trust over the events.
forEachServerMode((mode) =>
  describe(`case snapshots (integration, ${mode} path)`, function () {
    this.timeout(120_000);
    const t = useTestDatabase('snapshots', mode);
    let store: MongoEventStore;
    const append = (events: readonly DomainEvent[], state?: CaseState): Promise<AppendResult> =>
      firstValueFrom(store.append(events, state));
    const load = (case_id: string): Promise<CaseState> => firstValueFrom(store.load(case_id));
    const snapshotOf = (case_id: string) => snapshotsCollection(t.db).findOne({ _id: case_id });

    before(() => {
      // a snapshot after every append, so that every append exercises what a snapshot does
      store = createMongoEventStore(t.db, { snapshotEvery: 1 });
    });
    afterEach(() => sinon.restore());

    it('loads the fold of the stored events whatever the snapshot: as written, missing, stale, ahead of the events, of a rewritten stream, unreadable, of format 1', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          caseSteps(),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          fc.constantFrom(...TAMPERINGS),
          fc.nat(),
          async (steps, withState, tampering: Tampering, pick) => {
            const case_id = `${freshId('property')}-${(run += 1)}`;
            const events = caseStream(case_id, steps);
            // appended in chunks, each with the state it makes or without one, as the pipeline and older writers do
            for (let from = 0, i = 0; from < events.length; i += 1) {
              const size = 1 + ((pick + i) % 5);
              const chunk = events.slice(from, from + size);
              from += size;
              const carries = withState[i % withState.length]!;
              expect(await append(chunk, carries ? foldOf(case_id, events.slice(0, from)) : undefined)).to.deep.equal({
                kind: 'appended',
                duplicates: 0,
              });
            }
            const snapshots = snapshotsCollection(t.db);
            const at = events.length === 0 ? 0 : 1 + (pick % events.length);
            switch (tampering) {
              case 'as written':
                break;
              case 'missing':
                await snapshots.deleteOne({ _id: case_id });
                break;
              case 'stale':
                if (at > 0)
                  await snapshots.replaceOne(
                    { _id: case_id },
                    toSnapshotDocument(foldOf(case_id, events.slice(0, at)), events[at - 1]!.event_id),
                    { upsert: true },
                  );
                break;
              case 'ahead of the events': {
                // taken of events that are not (or no longer) stored: a restored backup of the events, say
                const more = caseStream(case_id, [...(steps ?? []), ['person', pick, 0, true], ['notification', pick, 0, true]]);
                await snapshots.replaceOne({ _id: case_id }, toSnapshotDocument(foldOf(case_id, more), more.at(-1)!.event_id), {
                  upsert: true,
                });
                break;
              }
              case 'of a rewritten stream':
                if (at > 0)
                  await snapshots.replaceOne(
                    { _id: case_id },
                    toSnapshotDocument(
                      { ...foldOf(case_id, events.slice(0, at)), personIds: new Set(['a person of another stream']) },
                      'another event',
                    ),
                    { upsert: true },
                  );
                break;
              case 'unreadable':
                await snapshots.replaceOne({ _id: case_id }, { _id: case_id, format: 0, version: 'x' } as never, { upsert: true });
                break;
              case 'of format 1':
                // as written before notifications kept their versions: their ids alone
                if (at > 0) {
                  const state = foldOf(case_id, events.slice(0, at));
                  const { notifications: _, ...current } = toSnapshotDocument(state, events[at - 1]!.event_id);
                  const older = { ...current, format: 1, notification_ids: [...state.notificationVersions.keys()] };
                  await snapshots.replaceOne({ _id: case_id }, older as never, { upsert: true });
                }
                break;
            }

            expect(await load(case_id)).to.deep.equal(foldOf(case_id, events));
          },
        ),
        { numRuns: 40 },
      );
    });

    it("keeps one snapshot per case, by case id, as of its last append that stored all of its events, naming that version's event", async () => {
      const { cmd, caseEvents, companyEvents, statusUpdate, caseVersion } = kybCase(freshId('shape'));
      const case_id = cmd.case_id;
      await append([...caseEvents, ...companyEvents], foldOf(case_id, caseEvents));
      const next = statusUpdate(caseVersion + 1);
      await append([next], foldOf(case_id, [...caseEvents, next]));
      // a redelivery of the first message stores nothing, and leaves the snapshot as it is
      expect(await append(caseEvents, foldOf(case_id, caseEvents))).to.deep.equal({ kind: 'appended', duplicates: caseEvents.length });

      const snapshot = await snapshotOf(case_id);
      expect(snapshot).to.deep.equal(toSnapshotDocument(foldOf(case_id, [...caseEvents, next]), next.event_id));
      expect(await snapshotOf(companyEvents[0]!.aggregate_id), 'no snapshot of the company stream').to.equal(null);
      expect(await load(case_id)).to.deep.equal(foldOf(case_id, [...caseEvents, next]));
    });

    it('keeps a snapshot only from the append that reaches the 32nd event on by default, rewrites it at the 64th, and loads the events after it', async () => {
      const spaced = createMongoEventStore(t.db);
      const case_id = freshId('spaced');
      const events = personEvents(case_id, 1, 70);
      const versions: (number | undefined)[] = [];
      for (let from = 0; from < events.length; from += 10) {
        await firstValueFrom(spaced.append(events.slice(from, from + 10), foldOf(case_id, events.slice(0, from + 10))));
        versions.push((await snapshotOf(case_id))?.version);
      }
      expect(DEFAULT_SNAPSHOT_EVERY).to.equal(32);
      expect(versions).to.deep.equal([undefined, undefined, undefined, 40, 40, 40, 70]);
      await firstValueFrom(spaced.append(personEvents(case_id, 71, 75)));
      expect(await firstValueFrom(spaced.load(case_id))).to.deep.equal(foldOf(case_id, personEvents(case_id, 1, 75)));
    });

    it('writes the snapshots of many new and existing cases appended at once without a single update (which FerretDB v1 can deadlock on)', async () => {
      const cases = Array.from({ length: 120 }, () => freshId('many'));
      const creations = cases.map((id) => personEvents(id, 1, 2));
      const bulkWrite = sinon.spy(Collection.prototype, 'bulkWrite');
      const updates = (['updateOne', 'updateMany', 'replaceOne', 'findOneAndReplace', 'findOneAndUpdate'] as const).map((m) =>
        sinon.spy(Collection.prototype, m),
      );
      await Promise.all(cases.map((id, i) => append(creations[i]!, foldOf(id, creations[i]!))));
      const more = cases.map((id) => personEvents(id, 3, 3));
      await Promise.all(cases.map((id, i) => append(more[i]!, foldOf(id, [...creations[i]!, ...more[i]!]))));

      const onSnapshots = (calls: sinon.SinonSpyCall[]) =>
        calls.filter((c) => (c.thisValue as Collection).collectionName === SNAPSHOTS_COLLECTION);
      expect(updates.flatMap((u) => onSnapshots(u.getCalls()))).to.deep.equal([]);
      const operations = onSnapshots(bulkWrite.getCalls()).flatMap((c) => (c.args[0] as object[]).map((op) => Object.keys(op).join()));
      expect(new Set(operations), 'insertMany goes through bulkWrite too').to.deep.equal(new Set(['insertOne', 'deleteOne']));

      const snapshots = await snapshotsCollection(t.db)
        .find({ _id: { $in: cases } })
        .toArray();
      expect(snapshots.map((s) => [s._id, s.version]).sort()).to.deep.equal(cases.map((id) => [id, 3]).sort());
    });

    it('replaces the snapshot an earlier stream of the same case id left when the case is created again', async () => {
      const case_id = freshId('again');
      const earlier = personEvents(case_id, 1, 3, 'earlier');
      await snapshotsCollection(t.db).insertOne(toSnapshotDocument(foldOf(case_id, earlier), earlier[2]!.event_id));
      const events = personEvents(case_id, 1, 2, 'now');

      await append(events, foldOf(case_id, events));

      expect(await snapshotOf(case_id)).to.deep.equal(toSnapshotDocument(foldOf(case_id, events), events[1]!.event_id));
      expect(await load(case_id)).to.deep.equal(foldOf(case_id, events));
    });

    it('answers an append whose snapshot cannot be written as appended, and loads the case from its events', async () => {
      const case_id = freshId('unwritten');
      const first = personEvents(case_id, 1, 2);
      await append(first, foldOf(case_id, first));
      const refuse = <K extends 'insertMany' | 'bulkWrite'>(method: K) => {
        const original = Collection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
        sinon.stub(Collection.prototype, method).callsFake(function (this: Collection<Document>, ...args: unknown[]) {
          return this.collectionName === SNAPSHOTS_COLLECTION
            ? Promise.reject(new Error('snapshots unavailable'))
            : original.apply(this, args);
        } as never);
      };
      refuse('insertMany');
      refuse('bulkWrite');
      const all = personEvents(case_id, 1, 4);

      expect(await append(all.slice(2), foldOf(case_id, all))).to.deep.equal({ kind: 'appended', duplicates: 0 });

      sinon.restore();
      expect((await snapshotOf(case_id))?.version, 'the older snapshot stays').to.equal(2);
      expect(await load(case_id)).to.deep.equal(foldOf(case_id, all));
    });

    it('drops every snapshot on a replay, after which loads still fold the events and appends write new ones', async () => {
      const case_id = freshId('replayed');
      const events = personEvents(case_id, 1, 2);
      await append(events, foldOf(case_id, events));
      expect(await snapshotOf(case_id)).to.not.equal(null);

      const result = await replayReadModels(t.db, {
        guards: guardsOf(mode),
        constraintsOnly: mode === 'ferretdb',
        dropOld: true,
        graceMs: 0,
      });

      expect(result.snapshots_dropped).to.be.greaterThan(0);
      expect(await snapshotsCollection(t.db).countDocuments()).to.equal(0);
      expect(await load(case_id)).to.deep.equal(foldOf(case_id, events));
      const more = personEvents(case_id, 3, 3);
      await append(more, foldOf(case_id, [...events, ...more]));
      expect((await snapshotOf(case_id))?.version).to.equal(3);
    });
  }),
);

// What a load costs does not depend on how much the store holds: it reads the case's own documents
// by `_id` (the one filter FerretDB v1 evaluates inside SQLite, through the `_id` index). The load
// has no server-specific path, so this runs once, on the stack's server.
describe('case loads at any store size (integration)', function () {
  this.timeout(300_000);
  const small = useTestDatabase('load_small');
  const large = useTestDatabase('load_large');
  const OTHER_CASES = 2_000;
  const EVENTS_PER_CASE = 10;
  const clients: MongoClient[] = [];
  /** The commands each store's client sent, as they started. */
  const sent = new Map<string, CommandStartedEvent[]>();

  /** A store on a client of its own that records its commands; the target case appended to it the same way in both databases. */
  const storeOn = async (dbName: string, case_id: string): Promise<MongoEventStore> => {
    const client = new MongoClient(MONGO_URI, { monitorCommands: true, ignoreUndefined: true });
    clients.push(client);
    await client.connect();
    const commands: CommandStartedEvent[] = [];
    sent.set(dbName, commands);
    client.on('commandStarted', (e) => commands.push(e));
    const store = createMongoEventStore(client.db(dbName), { snapshotEvery: 4 });
    const events = personEvents(case_id, 1, 6);
    // a snapshot as of version 4, then two events appended without one: a load reads both kinds
    await firstValueFrom(store.append(events.slice(0, 4), foldOf(case_id, events.slice(0, 4))));
    await firstValueFrom(store.append(events.slice(4)));
    return store;
  };

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('reads the same few documents by _id, in about the same time, from a store of 20,000 other events as from an empty one', async () => {
    // the large store: 2,000 other cases of 10 events each, with their snapshots
    for (let from = 0; from < OTHER_CASES; from += 200) {
      const ids = Array.from({ length: 200 }, (_, i) => `other-case-${from + i}`);
      await eventsCollection(large.db).insertMany(ids.flatMap((id) => personEvents(id, 1, EVENTS_PER_CASE).map(toEventDocument)));
      await snapshotsCollection(large.db).insertMany(
        ids.map((id) => {
          const events = personEvents(id, 1, EVENTS_PER_CASE);
          return toSnapshotDocument(foldOf(id, events), events.at(-1)!.event_id);
        }),
      );
    }
    expect(await eventsCollection(large.db).estimatedDocumentCount()).to.be.at.least(OTHER_CASES * EVENTS_PER_CASE);
    const case_id = freshId('measured');
    const stores = { small: await storeOn(small.dbName, case_id), large: await storeOn(large.dbName, case_id) };
    const expected = foldOf(case_id, personEvents(case_id, 1, 6));

    const commandsOfOneLoad = async (which: 'small' | 'large') => {
      const commands = sent.get(which === 'small' ? small.dbName : large.dbName)!;
      commands.length = 0;
      expect(await firstValueFrom(stores[which].load(case_id))).to.deep.equal(expected);
      // a window's point reads go out at once, in whichever order the pool sends them
      return commands
        .map((c) => ({
          name: c.commandName,
          collection: c.command[c.commandName],
          filter: c.command.filter,
          limit: c.command.limit,
        }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    };
    const onSmall = await commandsOfOneLoad('small');
    const onLarge = await commandsOfOneLoad('large');
    expect(onLarge).to.deep.equal(onSmall);
    expect(onSmall).to.deep.include({ name: 'find', collection: SNAPSHOTS_COLLECTION, filter: { _id: case_id }, limit: 1 });
    expect(onSmall).to.deep.include({ name: 'find', collection: EVENTS_COLLECTION, filter: { _id: positionId(case_id, 7) }, limit: 1 });
    for (const c of onSmall) {
      expect(c, 'one document by _id').to.deep.include({ name: 'find', limit: 1 });
      expect(Object.keys(c.filter as object)).to.deep.equal(['_id']);
    }

    // interleaved, so that whatever else the machine does weighs on both alike
    const times: Record<'small' | 'large', number[]> = { small: [], large: [] };
    for (let i = 0; i < 40; i += 1) {
      for (const which of i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
        const start = performance.now();
        await firstValueFrom(stores[which].load(case_id));
        times[which].push(performance.now() - start);
      }
    }
    const ratio = median(times.large) / median(times.small);
    expect(
      ratio,
      `median load ${median(times.large).toFixed(1)} ms among 20,000 events, ${median(times.small).toFixed(1)} ms alone`,
    ).to.be.below(3);
  });
});
