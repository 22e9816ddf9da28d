import { expect } from 'chai';
import { map, type Observable } from 'rxjs';
import { projectEvents, type ReadModelWrite } from '../../../src/domain/projections.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { projectReadModels } from '../../../src/streams/steps/projectReadModels.js';
import type { ReadModelApplyOptions, ReadModelStore } from '../../../src/streams/ports.js';
import { InMemoryReadModels } from '../../support/inMemoryReadModels.js';
import { newTestScheduler } from '../../support/marbles.js';
import { kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { decided, ruleAnswer, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

/** A read-model store that applies writes to an in-memory model and answers with `answer()`. */
const storeAnswering = (answer: () => Observable<void>) => {
  const models = new InMemoryReadModels();
  const calls: (readonly ReadModelWrite[])[] = [];
  const options: (ReadModelApplyOptions | undefined)[] = [];
  const store: ReadModelStore = {
    apply: (writes, o) => {
      calls.push(writes);
      options.push(o);
      models.apply(writes);
      return answer();
    },
  };
  return { store, models, calls, options };
};

const offsetOf = (w: CaseWork) => w.record.offset;

describe('projectReadModels', () => {
  it('projects a new KYC case into the read models and passes the work on once they are written', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('client-1'), { offset: 0 })));
      const { store, models } = storeAnswering(() => cold('---(x|)', { x: undefined }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(projectReadModels(store)))).toBe('---(w|)', { w });
      scheduler.flush();
      expect(models.get('cases', w.command!.case_id)).to.include({ client_id: 'client-1', status: 'OPEN', traitement_type: 'KYC' });
      expect(models.all('persons').map((p) => p.firstname)).to.deep.equal(['First0']);
      expect(models.all('document_requirements').map((d) => d.document_type)).to.have.members(['PASSPORT', 'PROOF_OF_ADDRESS']);
    });
  });

  it('writes every event of the message in one call, in event order', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const w = decided(workOf(recordOf(kybMessage('client-2'), { offset: 0 })));
      const { store, calls, models } = storeAnswering(() => cold('-|'));
      cold('(w|)', { w })
        .pipe(asOperator(projectReadModels(store)))
        .subscribe();
      scheduler.flush();
      expect(calls).to.deep.equal([projectEvents(w.events)]);
      expect(models.all('companies')).to.have.length(1);
      expect(models.all('beneficial_owners')).to.have.length(1);
    });
  });

  it('passes the work on when the store completes without a value', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })));
      const { store } = storeAnswering(() => cold('--|'));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(projectReadModels(store)))).toBe('--(w|)', { w });
    });
  });

  it('projects events that were already stored too, so a crash between append and projection heals on redelivery', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const w = { ...decided(workOf(recordOf(kycMessage('c'), { offset: 0 }))), duplicates: 4 };
      const { store, calls, options } = storeAnswering(() => cold('(x|)', { x: undefined }));
      cold('(w|)', { w })
        .pipe(asOperator(projectReadModels(store)))
        .subscribe();
      scheduler.flush();
      expect(calls).to.have.length(1);
      expect(options).to.deep.equal([{ firstTime: false }]);
    });
  });

  it('tells the store when every event was stored just now, so their writes were never applied before', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const w = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })));
      const { store, options } = storeAnswering(() => cold('(x|)', { x: undefined }));
      cold('(w|)', { w })
        .pipe(asOperator(projectReadModels(store)))
        .subscribe();
      scheduler.flush();
      expect(w.duplicates).to.equal(0);
      expect(options).to.deep.equal([{ firstTime: true }]);
    });
  });

  it('makes no call when the events change no read model: none at all, or only a notification', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const withRule = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })), ruleAnswer);
      const onlyNotification = { ...withRule, events: withRule.events.filter((e) => e.event_type === 'NotificationRequired') };
      expect(onlyNotification.events).to.have.length(1);
      const rejected = workOf(recordOf('null', { offset: 1 }));
      const { store, calls } = storeAnswering(() => cold('-----(x|)', { x: undefined }));
      expectObservable(cold('(ab|)', { a: onlyNotification, b: rejected }).pipe(asOperator(projectReadModels(store)))).toBe('(ab|)', {
        a: onlyNotification,
        b: rejected,
      });
      scheduler.flush();
      expect(calls).to.deep.equal([]);
    });
  });

  it('passes a store failure on so the message is retried', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c'), { offset: 0 })));
      const { store } = storeAnswering(() => cold<void>('--#', undefined, new Error('mongo down')));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(projectReadModels(store)))).toBe('--#', undefined, new Error('mongo down'));
    });
  });

  it('projects one message at a time, in arrival order', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const a = decided(workOf(recordOf(kycMessage('a'), { offset: 0 })));
      const b = decided(workOf(recordOf(kycMessage('b'), { offset: 1 })));
      const answers = ['---|', '-|'];
      const { store } = storeAnswering(() => cold(answers.shift()!));
      expectObservable(cold('(ab|)', { a, b }).pipe(asOperator(projectReadModels(store)), map(offsetOf))).toBe('---a(b|)', {
        a: '0',
        b: '1',
      });
    });
  });
});
