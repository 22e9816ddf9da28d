import { SpanStatusCode } from '@opentelemetry/api';
import { expect } from 'chai';
import { map } from 'rxjs';
import type { AppendResult } from '../../../src/streams/ports.js';
import { appendEvents } from '../../../src/streams/steps/appendEvents.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { projectReadModels } from '../../../src/streams/steps/projectReadModels.js';
import { startMessageTrace } from '../../../src/streams/tracing/messageTrace.js';
import { newTestScheduler } from '../../support/marbles.js';
import { kycMessage, recordOf } from '../../support/records.js';
import { inMemoryTracing, PRODUCER_TRACEPARENT, type InMemoryTracing } from '../../support/tracing.js';
import { decided, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

/** A decided case creation carrying its message's span, as the pipeline hands it to its steps. */
const tracedWork = (): CaseWork => {
  const record = recordOf(kycMessage('c1'), { offset: 0, headers: { traceparent: PRODUCER_TRACEPARENT } });
  return { ...decided(workOf(record)), trace: startMessageTrace(record)! };
};

describe('the spans of the steps', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = inMemoryTracing();
  });
  afterEach(async () => {
    await tracing.stop();
  });

  it("records an append in a child span of its message's that ends when the store answers, moving no frame", () => {
    const scheduler = newTestScheduler();
    const ended: number[] = [];
    const w = tracedWork();
    scheduler.run(({ cold, expectObservable }) => {
      const store = { append: () => cold('---(r|)', { r: { kind: 'appended', duplicates: 0 } as AppendResult }) };
      expectObservable(
        cold('(w|)', { w }).pipe(
          asOperator(appendEvents(store)),
          map((x) => x.duplicates),
        ),
      ).toBe('---(d|)', { d: 0 });
      for (const frame of [2, 4]) scheduler.schedule(() => ended.push(tracing.named('append').length), frame);
    });
    expect(ended).to.deep.equal([0, 1]);
    const append = tracing.span('append');
    expect(append.parentSpanContext?.spanId).to.equal(w.trace?.span.spanContext().spanId);
    expect(append.attributes).to.include({ 'casestream.events': 4, 'casestream.case.version': 4, 'casestream.append.result': 'appended' });
  });

  it('fails the span of a step whose port fails, and passes the error on at the same frame', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = tracedWork();
      const readModels = { apply: () => cold<void>('--#', undefined, new Error('write concern timeout')) };
      expectObservable(cold('(w|)', { w }).pipe(asOperator(projectReadModels(readModels)))).toBe(
        '--#',
        undefined,
        new Error('write concern timeout'),
      );
    });
    expect(tracing.span('project').status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'write concern timeout' });
  });

  it('ends the span of a step cut short by an unsubscription', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = tracedWork();
      const store = { append: () => cold('-----(r|)', { r: { kind: 'appended', duplicates: 0 } as AppendResult }) };
      expectObservable(cold('(w|)', { w }).pipe(asOperator(appendEvents(store))), '^-!').toBe('---');
    });
    expect(tracing.named('append')).to.have.length(1);
  });

  it('makes no span for work without a trace, and answers at the same frames', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const w = decided(workOf(recordOf(kycMessage('c1'), { offset: 0 })));
      const store = { append: () => cold('-(r|)', { r: { kind: 'appended', duplicates: 0 } as AppendResult }) };
      expectObservable(
        cold('(w|)', { w }).pipe(
          asOperator(appendEvents(store)),
          map((x) => x.duplicates),
        ),
      ).toBe('-(d|)', { d: 0 });
    });
    expect(tracing.spans()).to.have.length(0);
  });
});
