import { expect } from 'chai';
import { map } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import { loadCaseState } from '../../../src/streams/steps/loadCaseState.js';
import type { EventStore } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';
import { decided, workOf } from './work.js';

/** The events a KYC creation with one person stores: CaseCreated, PersonAddedToCase, two documents. */
const created = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
const caseId = created.command!.case_id;
/** The state the store loads for that case. */
const stored = evolveCase(emptyCase(caseId), created.events);
const none = emptyCase(caseId);

const commandFor = (offset: number) =>
  recordOf(
    { command_type: 'DetermineDocumentRequirements', command_id: `cmd-${offset}`, case_id: caseId, entity_id: 'p', entity_type: 'PERSON' },
    {
      topic: COMMAND_TOPIC,
      offset,
    },
  );

describe('loadCaseState', () => {
  it('reads the case from the event store when the actor does not know it, and waits for the answer', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const asked: string[] = [];
      const store: Pick<EventStore, 'load'> = {
        load: (id) => {
          asked.push(id);
          return cold('---(s|)', { s: stored });
        },
      };
      const out = cold('(w|)', { w: workOf(commandFor(1)) }).pipe(
        loadCaseState(store),
        map((w) => ({ version: w.state?.version, documents: w.state?.documents.size, persons: w.state?.personIds.size })),
      );
      expectObservable(out).toBe('---(s|)', { s: { version: 4, documents: 2, persons: 1 } });
      scheduler.flush();
      expect(asked).to.deep.equal([caseId]);
    });
  });

  it('takes the state the store loads as the case state, as it is', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const store = { load: () => cold('-(s|)', { s: stored }) };
      const out = cold('(w|)', { w: workOf(commandFor(1)) }).pipe(
        loadCaseState(store),
        map((w) => w.state),
      );
      expectObservable(out).toBe('-(s|)', { s: stored });
    });
  });

  it('starts from the empty case the store loads for a case with no events', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const store = { load: () => cold('--(s|)', { s: none }) };
      const out = cold('(w|)', { w: workOf(commandFor(1)) }).pipe(
        loadCaseState(store),
        map((w) => w.state),
      );
      expectObservable(out).toBe('--(s|)', { s: emptyCase(caseId) });
    });
  });

  it('does not read the store when the actor already knows the case', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      let loads = 0;
      const store = { load: () => (loads++, cold('-----(s|)', { s: none })) };
      const known = workOf(commandFor(1), stored);
      expectObservable(cold('(w|)', { w: known }).pipe(loadCaseState(store))).toBe('(w|)', { w: known });
      scheduler.flush();
      expect(loads).to.equal(0);
    });
  });

  it('does not read the store for a rejected message, which has no case', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      let loads = 0;
      const store = { load: () => (loads++, cold('-----(s|)', { s: none })) };
      const rejected = workOf(recordOf('not json', { offset: 0 }));
      expectObservable(cold('(w|)', { w: rejected }).pipe(loadCaseState(store))).toBe('(w|)', { w: rejected });
      scheduler.flush();
      expect(loads).to.equal(0);
    });
  });

  it('loads for one message at a time, in arrival order, even when a later load would answer sooner', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const calls: number[] = [];
      const answers = ['----(s|)', '-(s|)'];
      const store = { load: () => (calls.push(scheduler.now()), cold(answers[calls.length - 1]!, { s: none })) };
      const out = cold('(ab|)', { a: workOf(commandFor(1)), b: workOf(commandFor(2)) }).pipe(
        loadCaseState(store),
        map((w) => w.record.offset),
      );
      expectObservable(out).toBe('----a(b|)', { a: '1', b: '2' });
      scheduler.flush();
      expect(calls).to.deep.equal([0, 4]);
    });
  });

  it('passes a load failure on so the message can be retried', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const store = { load: () => cold<CaseState>('--#', undefined, new Error('mongo down')) };
      expectObservable(cold('(w|)', { w: workOf(commandFor(1)) }).pipe(loadCaseState(store))).toBe(
        '--#',
        undefined,
        new Error('mongo down'),
      );
    });
  });
});
