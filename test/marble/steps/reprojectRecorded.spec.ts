import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { evolveCase } from '../../../src/domain/caseState.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import { projectEvents, type ReadModelWrite } from '../../../src/domain/projections.js';
import type { EventStore, ReadModelApplyOptions, ReadModelStore } from '../../../src/streams/ports.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { reprojectRecorded } from '../../../src/streams/steps/reprojectRecorded.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';
import { asOperator } from '../../support/steps.js';
import { decided, workOf } from './work.js';

const creation = decided(workOf(recordOf(kycMessage('client-1'), { offset: 0 })));
const caseId = creation.command!.case_id;
const created = evolveCase(creation.state!, creation.events);
const [document] = [...created.documents.keys()];
const upload = recordOf(
  { command_type: 'UpdateDocumentStatus', command_id: 'cmd-1', case_id: caseId, document_requirement_id: document, new_status: 'UPLOADED' },
  { topic: COMMAND_TOPIC, offset: 0 },
);
const first = decided(workOf(upload, created));
const uploaded = evolveCase(created, first.events);
/** The same command delivered again to the actor that remembers its case with the upload recorded. */
const redelivered: CaseWork = decided(workOf(upload, uploaded));
/** What the store holds of the upload: its stored copy, which may differ from a decision made now (an erasure masks it). */
const storedUpload: DomainEvent[] = first.events.map((e) => ({ ...e, timestamp: new Date('2024-01-01T00:00:00.000Z') }));

const portsAnswering = (read: () => Observable<DomainEvent[]>, apply: () => Observable<void>) => {
  const reads: [string, number, number | undefined][] = [];
  const applied: { writes: readonly ReadModelWrite[]; options: ReadModelApplyOptions | undefined }[] = [];
  const store: Pick<EventStore, 'eventsAt'> = {
    eventsAt: (aggregate_id, from, last) => {
      reads.push([aggregate_id, from, last]);
      return read();
    },
  };
  const readModels: ReadModelStore = {
    apply: (writes, options) => {
      applied.push({ writes, options });
      return apply();
    },
  };
  return { store, readModels, reads, applied };
};

describe('reprojectRecorded', () => {
  it('reads back the events a redelivered command recorded and projects them as stored, then passes the work on', () => {
    expect(redelivered.events, 'the redelivery decides nothing').to.deep.equal([]);
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const { store, readModels, reads, applied } = portsAnswering(
        () => cold('--(e|)', { e: storedUpload }),
        () => cold('---|'),
      );
      expectObservable(cold('(w|)', { w: redelivered }).pipe(asOperator(reprojectRecorded(store, readModels)))).toBe('-----(w|)', {
        w: redelivered,
      });
      flush();
      expect(reads).to.deep.equal([[caseId, uploaded.version, uploaded.version]]);
      expect(applied).to.deep.equal([{ writes: projectEvents(storedUpload), options: { firstTime: false } }]);
    });
  });

  it('makes no read for a first delivery, whose decided events are projected as they are stored, nor for a rejected message', () => {
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const rejected = workOf(recordOf('"text"', { offset: 1 }));
      const { store, readModels, reads, applied } = portsAnswering(
        () => cold('-(e|)', { e: storedUpload }),
        () => cold('-|'),
      );
      expectObservable(cold('(ab|)', { a: first, b: rejected }).pipe(asOperator(reprojectRecorded(store, readModels)))).toBe('(ab|)', {
        a: first,
        b: rejected,
      });
      flush();
      expect({ reads, applied }).to.deep.equal({ reads: [], applied: [] });
    });
  });

  it('applies nothing when the stored events are gone or project nothing, and passes the work on', () => {
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const { store, readModels, applied } = portsAnswering(
        () => cold('-(e|)', { e: [] }),
        () => cold('-|'),
      );
      expectObservable(cold('(w|)', { w: redelivered }).pipe(asOperator(reprojectRecorded(store, readModels)))).toBe('-(w|)', {
        w: redelivered,
      });
      flush();
      expect(applied).to.deep.equal([]);
    });
  });

  it('passes a failure to read or to project on, so the message is retried rather than its read models left behind', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const failingRead = portsAnswering(
        () => cold<DomainEvent[]>('-#', undefined, new Error('mongo down')),
        () => cold('-|'),
      );
      expectObservable(
        cold('(w|)', { w: redelivered }).pipe(asOperator(reprojectRecorded(failingRead.store, failingRead.readModels))),
      ).toBe('-#', undefined, new Error('mongo down'));
      const failingApply = portsAnswering(
        () => cold('-(e|)', { e: storedUpload }),
        () => cold<void>('--#', undefined, new Error('update failed')),
      );
      expectObservable(
        cold('(w|)', { w: redelivered }).pipe(asOperator(reprojectRecorded(failingApply.store, failingApply.readModels))),
      ).toBe('---#', undefined, new Error('update failed'));
    });
  });
});
