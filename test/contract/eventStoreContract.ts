import { expect } from 'chai';
import { firstValueFrom, type Observable } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import { decideCaseCreation } from '../../src/domain/decideCaseCreation.js';
import type { DomainEvent, NotificationRequired } from '../../src/domain/events.js';
import type { RecordedNotification } from '../../src/domain/notificationRequeue.js';
import type { AppendResult, EventStore, NotificationOutbox as RequeuingOutbox } from '../../src/streams/ports.js';
import { creationCommand, rawKybMessage } from '../unit/domain/fixtures.js';
import { freshId, kybCase, personEvent, personEvents } from './fixtures.js';

/**
 * Builds the store for one test. Implementations may share their storage between the tests of a
 * suite (one database per suite): the tests use fresh aggregate ids and assume nothing else.
 */
export type MakeStore<S> = () => Promise<S>;

/** An event store, and what it holds read around its port (so that the tests can see what it stored). */
export interface EventStoreUnderTest {
  readonly store: EventStore;
  /** The stored events of one aggregate in version order. */
  stream(aggregate_id: string): Promise<DomainEvent[]>;
}

/** What a case's stored events fold into: what a load must answer. */
const foldOf = (case_id: string, events: readonly DomainEvent[]): CaseState => evolveCase(emptyCase(case_id), events);

/** A state that its events do not make (another person): what a stale or wrong caller could carry. */
const wrongState = (state: CaseState): CaseState => ({ ...state, personIds: new Set(['a person the events never added']) });

/** The notification outbox a store may keep beside its events (MongoEventStore does): the pipeline's port, and the relay's reads. */
export interface NotificationOutbox extends RequeuingOutbox {
  pendingNotifications(limit: number, appendedBefore?: Date): Observable<NotificationRequired[]>;
  markPublished(event_ids: readonly string[]): Observable<void>;
}

const summary = (events: readonly DomainEvent[]) => events.map((e) => [e.version, e.metadata.correlation_id]);

/**
 * The rules of the EventStore port (src/streams/ports.ts), declared once and run against every
 * implementation: the MongoDB adapter, the test fakes and the operator benchmark's ports.
 */
export const eventStoreContract = (name: string, makeStore: MakeStore<EventStoreUnderTest>): void => {
  describe(`${name} keeps the EventStore contract`, () => {
    let store: EventStore;
    let stream: (aggregate_id: string) => Promise<DomainEvent[]>;
    const append = (events: readonly DomainEvent[], state?: CaseState): Promise<AppendResult> =>
      firstValueFrom(store.append(events, state));
    const load = (case_id: string): Promise<CaseState> => firstValueFrom(store.load(case_id));
    /** Appends events with the state they make of the case as stored so far, as the pipeline does. */
    const appendWithState = async (case_id: string, events: readonly DomainEvent[]): Promise<AppendResult> =>
      append(events, evolveCase(foldOf(case_id, await stream(case_id)), events));

    beforeEach(async () => {
      ({ store, stream } = await makeStore());
    });

    describe('appending and loading', () => {
      it('keeps the events of each aggregate in version order, exactly as they were appended, and loads the case as their fold', async () => {
        const { cmd, caseEvents, companyEvents, notification } = kybCase(freshId('load'));
        const all = [...caseEvents, notification];
        // appended in three calls, the later versions first
        await append(all.slice(3));
        await append(all.slice(0, 3));
        await append(companyEvents);

        expect(await stream(cmd.case_id)).to.deep.equal(all);
        expect(await stream(companyEvents[0]!.aggregate_id)).to.deep.equal(companyEvents);
        expect(await load(cmd.case_id)).to.deep.equal(foldOf(cmd.case_id, all));
      });

      it('loads an empty case for a case that has no events', async () => {
        const case_id = freshId('nothing');

        expect(await load(case_id)).to.deep.equal(emptyCase(case_id));
      });

      it('keeps and loads a long stream whole, in version order', async () => {
        const aggregate = freshId('long');
        const events = personEvents(aggregate, 1, 150);
        await append(events);

        expect(await stream(aggregate)).to.deep.equal(events);
        expect(await load(aggregate)).to.deep.equal(foldOf(aggregate, events));
      });

      it("answers concurrent loads each with its own case's state (the same one twice too)", async () => {
        const cases = [kybCase(freshId('many-a')), kybCase(freshId('many-b'))];
        for (const c of cases) await appendWithState(c.cmd.case_id, c.caseEvents);
        const none = freshId('none');

        const states = await Promise.all([
          load(cases[0]!.cmd.case_id),
          load(cases[1]!.cmd.case_id),
          load(cases[0]!.cmd.case_id),
          load(none),
        ]);

        expect(states).to.deep.equal([
          foldOf(cases[0]!.cmd.case_id, cases[0]!.caseEvents),
          foldOf(cases[1]!.cmd.case_id, cases[1]!.caseEvents),
          foldOf(cases[0]!.cmd.case_id, cases[0]!.caseEvents),
          emptyCase(none),
        ]);
      });

      it('gives every load a state of its own: changing it changes nothing stored', async () => {
        const aggregate = freshId('own-state');
        const events = personEvents(aggregate, 1, 2);
        await appendWithState(aggregate, events);

        const loaded = await load(aggregate);
        (loaded.personIds as Set<string>).add('someone else');
        (loaded.recordedKeys as Map<string, unknown>).clear();

        expect(await load(aggregate)).to.deep.equal(foldOf(aggregate, events));
        expect(await stream(aggregate)).to.deep.equal(events);
      });

      it('takes an empty append as appended, with no duplicates', async () => {
        expect(await append([])).to.deep.equal({ kind: 'appended', duplicates: 0 });
      });
    });

    describe('the case state an append carries (a store may keep it to load the case faster)', () => {
      it('loads the fold of every stored event, whether the appends carried the state they make or not', async () => {
        const { cmd, caseEvents, statusUpdate, caseVersion } = kybCase(freshId('with-state'));
        const case_id = cmd.case_id;
        await appendWithState(case_id, caseEvents);
        expect(await load(case_id)).to.deep.equal(foldOf(case_id, caseEvents));

        await append([statusUpdate(caseVersion + 1)]);
        await append([statusUpdate(caseVersion + 2, { new_status: 'VERIFIED_MANUAL', old_status: 'UPLOADED' })]);
        expect(await load(case_id)).to.deep.equal(foldOf(case_id, await stream(case_id)));

        await appendWithState(case_id, [statusUpdate(caseVersion + 3, { new_status: 'REJECTED', old_status: 'VERIFIED_MANUAL' })]);
        await append([statusUpdate(caseVersion + 4, { new_status: 'UPLOADED', old_status: 'REJECTED' })]);
        const stored = await stream(case_id);
        expect(stored.map((e) => e.version)).to.deep.equal(Array.from({ length: caseVersion + 4 }, (_, i) => i + 1));
        expect(await load(case_id)).to.deep.equal(foldOf(case_id, stored));
      });

      it('loads what is stored, not the state a redelivery carried, whole or in part', async () => {
        const aggregate = freshId('redelivered-state');
        const first = personEvents(aggregate, 1, 2);
        await appendWithState(aggregate, first);
        const more = personEvents(aggregate, 1, 4);

        expect(await append(first, wrongState(foldOf(aggregate, first)))).to.deep.equal({ kind: 'appended', duplicates: 2 });
        expect(await append(more, wrongState(foldOf(aggregate, more)))).to.deep.equal({ kind: 'appended', duplicates: 2 });

        expect(await load(aggregate)).to.deep.equal(foldOf(aggregate, more));
      });

      it("loads the winner's events, not the state a conflicting append carried", async () => {
        const aggregate = freshId('conflict-state');
        const winner = personEvents(aggregate, 1, 2, 'winner');
        await appendWithState(aggregate, winner);
        const stale = personEvents(aggregate, 2, 3, 'stale');

        expect(await append(stale, foldOf(aggregate, [winner[0]!, ...stale]))).to.deep.equal({
          kind: 'conflict',
          aggregate_id: aggregate,
          version: 2,
        });

        expect(await load(aggregate)).to.deep.equal(foldOf(aggregate, winner));
      });

      it('keeps nothing of the state an append under a reused key carried', async () => {
        const aggregate = freshId('reused-state');
        const first = personEvents(aggregate, 1, 2, 'k');
        await appendWithState(aggregate, first);
        const reused = first.map((e) => ({ ...e, metadata: { ...e.metadata, content_hash: 'other content' } }));

        expect(
          await append([...reused, personEvent(aggregate, 3, 'k')], foldOf(aggregate, personEvents(aggregate, 1, 3, 'k'))),
        ).to.deep.equal({
          kind: 'key-reused',
        });

        expect(await load(aggregate)).to.deep.equal(foldOf(aggregate, first));
      });

      it('loads the case two messages appended to in turn, each with the state it made, as the fold of both', async () => {
        const aggregate = freshId('in-turn');
        await appendWithState(aggregate, personEvents(aggregate, 1, 2, 'a'));
        await appendWithState(aggregate, personEvents(aggregate, 3, 3, 'b'));
        await appendWithState(aggregate, personEvents(aggregate, 4, 5, 'a'));

        const loaded = await load(aggregate);
        expect(loaded).to.deep.equal(foldOf(aggregate, await stream(aggregate)));
        expect(loaded.version).to.equal(5);
      });
    });

    describe('reading stored events back by position (a redelivery re-projects what it recorded)', () => {
      const eventsAt = (aggregate_id: string, first: number, last?: number): Promise<DomainEvent[]> =>
        firstValueFrom(store.eventsAt(aggregate_id, first, last));

      it('reads the events stored from one version to another, exactly as appended, in version order', async () => {
        const { cmd, caseEvents, companyEvents } = kybCase(freshId('at'));
        await append([...caseEvents, ...companyEvents]);

        expect(await eventsAt(cmd.case_id, 2, 4)).to.deep.equal(caseEvents.slice(1, 4));
        expect(await eventsAt(cmd.case_id, 3, 3)).to.deep.equal([caseEvents[2]]);
        expect(await eventsAt(companyEvents[0]!.aggregate_id, 1)).to.deep.equal(companyEvents);
      });

      it('reads a long run whole, and to the end of the stream when no last version is given', async () => {
        const aggregate = freshId('at-long');
        const events = personEvents(aggregate, 1, 100);
        await append(events);

        expect(await eventsAt(aggregate, 10, 90)).to.deep.equal(events.slice(9, 90));
        expect(await eventsAt(aggregate, 60)).to.deep.equal(events.slice(59));
      });

      it('stops at the first version not stored, and reads nothing of a stream that has none there', async () => {
        const aggregate = freshId('at-gap');
        await append(personEvents(aggregate, 1, 3));
        await append(personEvents(aggregate, 5, 6));

        expect(await eventsAt(aggregate, 2, 6)).to.deep.equal(personEvents(aggregate, 2, 3));
        expect(await eventsAt(aggregate, 4, 6)).to.deep.equal([]);
        expect(await eventsAt(freshId('at-none'), 1)).to.deep.equal([]);
      });
    });

    describe('redelivery (idempotent per event_id)', () => {
      it('reports a redelivery as duplicates and stores nothing twice', async () => {
        const aggregate = freshId('dup');
        const events = personEvents(aggregate, 1, 4);
        await append(events);

        expect(await append(events)).to.deep.equal({ kind: 'appended', duplicates: 4 });
        expect(await stream(aggregate)).to.deep.equal(events);
      });

      it('stores the new events of a partly redelivered append and counts the rest as duplicates', async () => {
        const aggregate = freshId('partial');
        await append(personEvents(aggregate, 1, 2));

        expect(await append(personEvents(aggregate, 1, 5))).to.deep.equal({ kind: 'appended', duplicates: 2 });
        expect((await stream(aggregate)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4, 5]);
      });

      it('counts an event whose event_id is stored as a duplicate even at another version, and keeps the stored one', async () => {
        const aggregate = freshId('moved');
        const first = personEvent(aggregate, 1);
        await append([first]);

        expect(await append([{ ...first, version: 2 }])).to.deep.equal({ kind: 'appended', duplicates: 1 });
        expect(await stream(aggregate)).to.deep.equal([first]);
      });

      it('still takes the very same events again as duplicates, and keeps their content hash', async () => {
        const { cmd, caseEvents } = kybCase(freshId('same'));
        await append(caseEvents);

        expect(await append(caseEvents)).to.deep.equal({ kind: 'appended', duplicates: caseEvents.length });
        expect((await stream(cmd.case_id)).map((e) => e.metadata.content_hash)).to.deep.equal(caseEvents.map(() => cmd.content_hash));
      });

      it('accepts a redelivery onto events stored without a content hash (before keys were bound to content) as duplicates', async () => {
        const { cmd, caseEvents } = kybCase(freshId('legacy'));
        await append(
          caseEvents.map((e) => {
            const { content_hash: _, ...metadata } = e.metadata;
            return { ...e, metadata };
          }),
        );

        expect(await append(caseEvents)).to.deep.equal({ kind: 'appended', duplicates: caseEvents.length });
        expect((await stream(cmd.case_id)).every((e) => !('content_hash' in e.metadata))).to.equal(true);
      });

      it('counts a notification decided again from another rule source as a duplicate, keeping the provenance stored first', async () => {
        const { cmd, caseEvents, notification } = kybCase(freshId('provenance'));
        await append([...caseEvents, notification]);
        const fromCache: NotificationRequired = {
          ...notification,
          payload: {
            ...notification.payload,
            provenance: { ...notification.payload.provenance!, source: 'cache', answer_source: 'cache' },
          },
        };

        expect(await append([fromCache])).to.deep.equal({ kind: 'appended', duplicates: 1 });
        expect((await stream(cmd.case_id)).at(-1)).to.deep.equal(notification);
      });
    });

    describe('a reused key (an event_id stored with another content hash)', () => {
      it('refuses a creation under a reused key with other content as key-reused, to that caller only, storing none of its events', async () => {
        const key = freshId('reused');
        const first = kybCase(key);
        await append([...first.caseEvents, ...first.companyEvents]);
        const before = [...(await stream(first.cmd.case_id)), ...(await stream(first.companyEvents[0]!.aggregate_id))];
        // Other content under the same key: the same ids for the versions both have, and one person more.
        const raw = rawKybMessage();
        const other = decideCaseCreation(
          creationCommand({ ...raw, persons: [...(raw.persons as unknown[]), { firstname: 'New', lastname: 'Comer' }] }, key),
        );
        expect(other.length).to.be.greaterThan(before.length);
        const bystander = personEvents(freshId('bystander'), 1, 2);

        const [reused, mate] = await Promise.all([append(other), append(bystander)]);

        expect(reused).to.deep.equal({ kind: 'key-reused' });
        expect(mate).to.deep.equal({ kind: 'appended', duplicates: 0 });
        expect([...(await stream(first.cmd.case_id)), ...(await stream(first.companyEvents[0]!.aggregate_id))]).to.deep.equal(before);
      });

      it('reports key-reused rather than a conflict when an append meets both, and keeps none of it', async () => {
        const aggregate = freshId('reused-and-taken');
        await append(personEvents(aggregate, 1, 2, 'winner'));
        const second = personEvent(aggregate, 2, 'winner');
        const reused = { ...second, metadata: { ...second.metadata, content_hash: 'other content' } };

        // version 1 is taken by another event (a conflict), version 2's key is reused, version 3 is free
        expect(await append([personEvent(aggregate, 1, 'stale'), reused, personEvent(aggregate, 3, 'stale')])).to.deep.equal({
          kind: 'key-reused',
        });
        expect(summary(await stream(aggregate))).to.deep.equal([
          [1, 'msg-winner'],
          [2, 'msg-winner'],
        ]);
      });
    });

    describe('version conflicts (one event per aggregate and version)', () => {
      it("reports a different event at a taken version as a conflict naming that version, to that caller only, and keeps the winner's events", async () => {
        const taken = freshId('taken');
        const other = freshId('other');
        await append(personEvents(taken, 1, 2, 'winner'));

        const [loser, mate] = await Promise.all([append([personEvent(taken, 2, 'loser')]), append(personEvents(other, 1, 3))]);

        expect(loser).to.deep.equal({ kind: 'conflict', aggregate_id: taken, version: 2 });
        expect(mate).to.deep.equal({ kind: 'appended', duplicates: 0 });
        expect(summary(await stream(taken))).to.deep.equal([
          [1, 'msg-winner'],
          [2, 'msg-winner'],
        ]);
        expect(await stream(other)).to.have.length(3);
      });

      it('keeps nothing of a conflicting append: the free versions after the conflict are not stored either', async () => {
        const aggregate = freshId('stale');
        await append(personEvents(aggregate, 1, 3, 'winner'));

        // versions 3..5 from a stale decision: 3 is taken, 4 and 5 are free
        expect(await append(personEvents(aggregate, 3, 5, 'stale'))).to.deep.equal({
          kind: 'conflict',
          aggregate_id: aggregate,
          version: 3,
        });

        expect(summary(await stream(aggregate))).to.deep.equal([
          [1, 'msg-winner'],
          [2, 'msg-winner'],
          [3, 'msg-winner'],
        ]);
      });

      it('keeps nothing of a conflicting append on its other aggregates either', async () => {
        const { cmd, caseEvents, companyEvents } = kybCase(freshId('stale-company'));
        await append([personEvent(cmd.case_id, 1, 'winner')]);

        expect(await append([...caseEvents, ...companyEvents])).to.deep.equal({ kind: 'conflict', aggregate_id: cmd.case_id, version: 1 });

        expect(summary(await stream(cmd.case_id))).to.deep.equal([[1, 'msg-winner']]);
        expect(await stream(companyEvents[0]!.aggregate_id)).to.deep.equal([]);
      });

      it('refuses two different events at one version in the same append as a conflict, keeping neither', async () => {
        const aggregate = freshId('twice');

        expect(await append([personEvent(aggregate, 1, 'p'), personEvent(aggregate, 1, 'q')])).to.deep.equal({
          kind: 'conflict',
          aggregate_id: aggregate,
          version: 1,
        });

        expect(await stream(aggregate)).to.deep.equal([]);
      });

      it('lets exactly one of two concurrent appends of different events at one version win', async () => {
        const aggregate = freshId('race');
        await append([personEvent(aggregate, 1, 'base')]);

        const [a, b] = await Promise.all([
          append(personEvents(aggregate, 2, 3, 'writerA')),
          append(personEvents(aggregate, 2, 3, 'writerB')),
        ]);

        expect([a.kind, b.kind].sort()).to.deep.equal(['appended', 'conflict']);
        expect(a.kind === 'appended' ? b : a).to.deep.equal({ kind: 'conflict', aggregate_id: aggregate, version: 2 });
        const winner = a.kind === 'appended' ? 'msg-writerA' : 'msg-writerB';
        expect(summary(await stream(aggregate))).to.deep.equal([
          [1, 'msg-base'],
          [2, winner],
          [3, winner],
        ]);
      });
    });
  });
};

const byStreamPosition = (x: NotificationRequired, y: NotificationRequired): number =>
  x.aggregate_id < y.aggregate_id ? -1 : x.aggregate_id > y.aggregate_id ? 1 : x.version - y.version;

/**
 * The rules of a notification outbox kept by an event store: every stored NotificationRequired is
 * pending until Kafka acknowledged it. Its tests share the outbox of the suite's storage, so each
 * first acknowledges whatever earlier tests left pending.
 */
export const notificationOutboxContract = (name: string, makeStore: MakeStore<EventStore & NotificationOutbox>): void => {
  describe(`${name} keeps the notification outbox contract`, () => {
    let store: EventStore & NotificationOutbox;
    const append = (events: readonly DomainEvent[]): Promise<AppendResult> => firstValueFrom(store.append(events));
    const pending = (limit = 10_000, appendedBefore?: Date): Promise<NotificationRequired[]> =>
      firstValueFrom(store.pendingNotifications(limit, appendedBefore));
    const acknowledge = (event_ids: readonly string[]): Promise<void> =>
      firstValueFrom(store.markPublished(event_ids), { defaultValue: undefined });
    const requeue = (notifications: readonly RecordedNotification[]): Promise<void> =>
      firstValueFrom(store.requeue(notifications), { defaultValue: undefined });
    const positionOf = (n: NotificationRequired): RecordedNotification => ({
      event_id: n.event_id,
      aggregate_id: n.aggregate_id,
      version: n.version,
    });
    /** Appends three whole cases; their notifications, in stream order. */
    const threeCases = async (): Promise<NotificationRequired[]> => {
      const cases = [kybCase(freshId('outbox')), kybCase(freshId('outbox')), kybCase(freshId('outbox'))];
      for (const c of cases) await append([...c.caseEvents, ...c.companyEvents, c.notification]);
      return cases.map((c) => c.notification).sort(byStreamPosition);
    };

    beforeEach(async () => {
      store = await makeStore();
      await acknowledge((await pending()).map((n) => n.event_id));
    });

    it('lists pending notifications in (aggregate_id, version) order, as domain events, up to the limit', async () => {
      const notifications = await threeCases();

      expect(await pending(10)).to.deep.equal(notifications);
      expect(await pending(2)).to.deep.equal(notifications.slice(0, 2));
    });

    it('keeps only NotificationRequired events pending', async () => {
      const notifications = await threeCases();

      expect((await pending()).map((n) => n.event_type)).to.deep.equal(notifications.map(() => 'NotificationRequired'));
    });

    it('lists only notifications appended before appendedBefore when given', async () => {
      const notifications = await threeCases();

      expect(await pending(10, new Date(Date.now() + 1000))).to.deep.equal(notifications);
      expect(await pending(10, new Date(Date.now() - 60_000))).to.deep.equal([]);
    });

    it('no longer lists notifications once Kafka acknowledged them, and keeps their events', async () => {
      const notifications = await threeCases();

      await acknowledge([notifications[0]!.event_id]);

      expect(await pending()).to.deep.equal(notifications.slice(1));
      expect([...(await firstValueFrom(store.load(notifications[0]!.aggregate_id))).notificationVersions.keys()]).to.include(
        notifications[0]!.event_id,
      );
    });

    it('takes an acknowledgement twice without complaint', async () => {
      const notifications = await threeCases();

      await acknowledge([notifications[0]!.event_id]);
      await acknowledge([notifications[0]!.event_id]);

      expect(await pending()).to.deep.equal(notifications.slice(1));
    });

    it('puts a redelivered notification back in the outbox, so a crash between append and outbox entry cannot lose it', async () => {
      const [n] = await threeCases();
      await acknowledge([n!.event_id]);

      expect(await append([n!])).to.deep.equal({ kind: 'appended', duplicates: 1 });
      expect((await pending()).map((e) => e.event_id)).to.include(n!.event_id);
    });

    it('puts a stored notification whose entry is gone back in the outbox when re-queued, due now, as stored', async () => {
      const notifications = await threeCases();
      await acknowledge(notifications.map((n) => n.event_id));

      await requeue([positionOf(notifications[1]!)]);

      expect(await pending(10, new Date())).to.deep.equal([notifications[1]]);
    });

    it('leaves an entry already waiting as it is when its notification is re-queued', async () => {
      const notifications = await threeCases();

      await requeue(notifications.map(positionOf));

      expect(await pending(), 'each once').to.deep.equal(notifications);
      expect(await pending(10, new Date(Date.now() - 60_000)), 'still dated by its append').to.deep.equal([]);
    });

    it('never lists a re-queued entry whose position does not hold its notification', async () => {
      const [n] = await threeCases();
      await acknowledge([n!.event_id]);

      await requeue([{ ...positionOf(n!), version: n!.version + 1 }]);

      expect((await pending()).map((e) => e.event_id)).not.to.include(n!.event_id);
    });

    it('removes every entry when many publishers acknowledge at once, and no other', async () => {
      const others = await threeCases();
      const many = Array.from({ length: 120 }, () => kybCase(freshId('outbox-many')));
      await Promise.all(many.map((c) => append([...c.caseEvents, c.notification])));

      await Promise.all(many.map((c) => acknowledge([c.notification.event_id])));

      expect(await pending()).to.deep.equal(others);
    });
  });
};
