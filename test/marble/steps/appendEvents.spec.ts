import { expect } from 'chai';
import { catchError, map, of, type Observable } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import { KEY_REUSED_REASON } from '../../../src/domain/keyReuse.js';
import { appendEvents } from '../../../src/streams/steps/appendEvents.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { VersionConflict, type AppendResult, type EventStore } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { decided, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

const appended = (duplicates = 0): AppendResult => ({ kind: 'appended', duplicates });

/** An event store whose append answers with the next of `answers`, logging what it was given and when. */
const storeAnswering = (now: () => number, ...answers: Observable<AppendResult>[]) => {
  const calls: { at: number; events: readonly DomainEvent[]; state: CaseState | undefined }[] = [];
  const store: Pick<EventStore, 'append'> = {
    append: (events, state) => {
      calls.push({ at: now(), events, state });
      const answer = answers.shift();
      if (!answer) throw new Error('append called more often than expected');
      return answer;
    },
  };
  return { store, calls };
};

const summary = (w: CaseWork) => ({ version: w.state?.version, documents: w.state?.documents.size, duplicates: w.duplicates });

describe('appendEvents', () => {
  it('appends the decided events, waits for the store, then folds them into the case state', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const { store, calls } = storeAnswering(() => scheduler.now(), cold('---(r|)', { r: appended() }));
      const out = cold('(w|)', { w }).pipe(asOperator(appendEvents(store)), map(summary));
      expectObservable(out).toBe('---(s|)', { s: { version: 4, documents: 2, duplicates: 0 } });
      scheduler.flush();
      expect(calls).to.have.length(1);
      expect(calls[0]!.events).to.deep.equal(w.events);
    });
  });

  it('gives the store the case state the events make, the very state it then hands on', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const folded = evolveCase(emptyCase(w.command!.case_id), w.events);
      const { store, calls } = storeAnswering(() => scheduler.now(), cold('-(r|)', { r: appended() }));
      const handedOn: (CaseState | null)[] = [];
      const out = cold('(w|)', { w }).pipe(
        asOperator(appendEvents(store)),
        map((x) => (handedOn.push(x.state), x.state)),
      );
      expectObservable(out).toBe('-(s|)', { s: folded });
      scheduler.flush();
      expect(calls[0]!.state).to.deep.equal(folded);
      expect(handedOn[0]).to.equal(calls[0]!.state);
    });
  });

  it('reports how many events were already stored, for a redelivery', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const { store } = storeAnswering(() => 0, cold('-(r|)', { r: appended(4) }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(appendEvents(store)), map(summary))).toBe('-(s|)', {
        s: { version: 4, documents: 2, duplicates: 4 },
      });
    });
  });

  it("turns events stored under the message's key for other content into a rejection, recording nothing and keeping the state", () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const { store } = storeAnswering(() => 0, cold('-(r|)', { r: { kind: 'key-reused' } as AppendResult }));
      const out = cold('(w|)', { w }).pipe(
        asOperator(appendEvents(store)),
        map((x) => ({ reason: x.rejection?.reason, events: x.events.length, state: x.state })),
      );
      expectObservable(out).toBe('-(s|)', { s: { reason: KEY_REUSED_REASON, events: 0, state: w.state } });
    });
  });

  it('keeps only the case stream in the case state when a KYB creation also appends company events', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kybMessage('c2'), { offset: 0 })));
      const caseEvents = w.events.filter((e) => e.aggregate_id === w.command!.case_id).length;
      expect(w.events.length).to.be.greaterThan(caseEvents);
      const { store } = storeAnswering(() => 0, cold('--(r|)', { r: appended() }));
      const out = cold('(w|)', { w }).pipe(
        asOperator(appendEvents(store)),
        map((x) => x.state?.version),
      );
      expectObservable(out).toBe('--(v|)', { v: caseEvents });
    });
  });

  it("folds a command's events onto the case the actor already knew", () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const creation = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const known = evolveCase(emptyCase(creation.command!.case_id), creation.events);
      const doc = [...known.documents.values()][0]!;
      const update = decided(
        workOf(
          recordOf(
            {
              command_type: 'UpdateDocumentStatus',
              command_id: 'cmd-1',
              case_id: known.case_id,
              document_requirement_id: doc.id,
              new_status: 'VERIFIED_MANUAL',
              updated_by_actor_type: 'USER',
              updated_by_actor_id: 'u-1',
            },
            { topic: COMMAND_TOPIC, offset: 0 },
          ),
          known,
        ),
      );
      const { store } = storeAnswering(() => 0, cold('--(r|)', { r: appended() }));
      const out = cold('(w|)', { w: update }).pipe(
        asOperator(appendEvents(store)),
        map((w) => [w.state?.version, w.state?.documents.get(doc.id)?.status]),
      );
      expectObservable(out).toBe('--(s|)', { s: [5, 'VERIFIED_MANUAL'] });
    });
  });

  it('fails with VersionConflict naming the taken version when another event holds it, once the store answers', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const caseId = w.command!.case_id;
      const { store } = storeAnswering(() => 0, cold('--(r|)', { r: { kind: 'conflict', aggregate_id: caseId, version: 2 } }));
      const out = cold('(w|)', { w }).pipe(
        asOperator(appendEvents(store)),
        map(() => 'appended'),
        catchError((e: unknown) =>
          of(
            e instanceof VersionConflict
              ? `conflict ${e.aggregate_id === caseId ? 'on the case' : e.aggregate_id} at ${e.version}`
              : String(e),
          ),
        ),
      );
      expectObservable(out).toBe('--(c|)', { c: 'conflict on the case at 2' });
    });
  });

  it('names the aggregate and version in the VersionConflict message', () => {
    const e = new VersionConflict('case-1', 3);
    expect(e).to.be.instanceOf(Error);
    expect(e.name).to.equal('VersionConflict');
    expect(e.message).to.equal('version 3 of case-1 is taken by another event');
  });

  it('passes a store failure on as it is, not as a conflict', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const { store } = storeAnswering(() => 0, cold<AppendResult>('----#', undefined, new Error('mongo down')));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(appendEvents(store)))).toBe('----#', undefined, new Error('mongo down'));
    });
  });

  it('makes no call when there is nothing to append, and passes the work at once', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const rejected = workOf(recordOf('[]', { offset: 0 }));
      const { store, calls } = storeAnswering(() => scheduler.now());
      expectObservable(cold('(w|)', { w: rejected }).pipe(asOperator(appendEvents(store)))).toBe('(w|)', { w: rejected });
      scheduler.flush();
      expect(calls).to.deep.equal([]);
    });
  });

  it('appends for one message at a time: the next waits until the previous one is stored', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const a = decided(workOf(recordOf(kycMessage('a'), { offset: 0 })));
      const b = decided(workOf(recordOf(kycMessage('b'), { offset: 1 })));
      const { store, calls } = storeAnswering(() => scheduler.now(), cold('----(r|)', { r: appended() }), cold('-(r|)', { r: appended() }));
      const out = cold('(ab|)', { a, b }).pipe(
        asOperator(appendEvents(store)),
        map((w) => w.record.offset),
      );
      expectObservable(out).toBe('----a(b|)', { a: '0', b: '1' });
      scheduler.flush();
      expect(calls.map((c) => c.at)).to.deep.equal([0, 4]);
    });
  });
});
