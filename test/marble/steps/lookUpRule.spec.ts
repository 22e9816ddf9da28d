import { expect } from 'chai';
import { map, type Observable } from 'rxjs';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { lookUpRule } from '../../../src/streams/steps/lookUpRule.js';
import type { RuleAnswer, RuleLookup } from '../../../src/streams/ports.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { caseAwaitingRetry, decided, ruleAnswer, workOf } from './work.js';
import { asOperator } from '../../support/steps.js';

interface Ask {
  readonly trigger: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** A rule lookup that logs what it is asked and answers with `answer()`. */
const lookup = (answer: () => Observable<RuleAnswer>) => {
  const asked: Ask[] = [];
  const rules: RuleLookup = {
    ruleFor: (trigger, context) => {
      asked.push({ trigger, context });
      return answer();
    },
  };
  return { rules, asked };
};

const noRule: RuleAnswer = { kind: 'no-rule' };

const { trigger: TRIGGER, caseId, storedCase, retryOf } = caseAwaitingRetry('client-9');

describe('lookUpRule', () => {
  it('asks which rule applies to a new KYC case, with its trigger and context, and waits for the answer', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { rules, asked } = lookup(() => cold('--(r|)', { r: ruleAnswer }));
      const w = workOf(recordOf(kycMessage('client-1'), { offset: 0 }));
      const out = cold('(w|)', { w }).pipe(asOperator(lookUpRule(rules)));
      expectObservable(out).toBe('--(w|)', { w: { ...w, rule: ruleAnswer } });
      scheduler.flush();
      expect(asked).to.deep.equal([
        {
          trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD',
          context: { case_id: w.command!.case_id, client_id: 'client-1', traitement_type: 'KYC', case_type: 'INDIVIDUAL_STANDARD' },
        },
      ]);
    });
  });

  it('names a KYB case type with dashes as an upper-case trigger with underscores', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { rules, asked } = lookup(() => cold('(r|)', { r: noRule }));
      cold('(w|)', { w: workOf(recordOf(kybMessage('client-2', 'enhanced-due-diligence'), { offset: 0 })) })
        .pipe(asOperator(lookUpRule(rules)))
        .subscribe();
      scheduler.flush();
      expect(asked.map((a) => a.trigger)).to.deep.equal(['CASE_CREATED_KYB_ENHANCED_DUE_DILIGENCE']);
      expect(asked[0]?.context).to.include({ client_id: 'client-2', traitement_type: 'KYB', case_type: 'enhanced-due-diligence' });
    });
  });

  it('keeps "no rule" and "unavailable" answers on the work as they came', () => {
    newTestScheduler().run(({ cold, expectObservable }) => {
      const unavailable: RuleAnswer = { kind: 'unavailable', reason: 'config service down' };
      const answers = [noRule, unavailable];
      const { rules } = lookup(() => cold('-(r|)', { r: answers.shift()! }));
      const out = cold('(ab|)', {
        a: workOf(recordOf(kycMessage('a'), { offset: 0 })),
        b: workOf(recordOf(kycMessage('b'), { offset: 1 })),
      }).pipe(
        asOperator(lookUpRule(rules)),
        map((w) => w.rule),
      );
      expectObservable(out).toBe('-a(b|)', { a: noRule, b: unavailable });
    });
  });

  it('takes the first answer and goes on without waiting for the lookup to complete', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const answer = cold('---r---s', { r: ruleAnswer, s: noRule });
      const { rules } = lookup(() => answer);
      const out = cold('(w|)', { w: workOf(recordOf(kycMessage('c'), { offset: 0 })) }).pipe(
        asOperator(lookUpRule(rules)),
        map((w) => w.rule),
      );
      expectObservable(out).toBe('---(r|)', { r: ruleAnswer });
      expectSubscriptions(answer.subscriptions).toBe('^--!');
    });
  });

  it('does not ask for a case command, which creates no case', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { rules, asked } = lookup(() => cold('--(r|)', { r: ruleAnswer }));
      const w = workOf(
        recordOf(
          { command_type: 'DetermineDocumentRequirements', command_id: 'x', case_id: 'case-1', entity_id: 'p', entity_type: 'PERSON' },
          {
            topic: COMMAND_TOPIC,
            offset: 0,
          },
        ),
      );
      expectObservable(cold('(w|)', { w }).pipe(asOperator(lookUpRule(rules)))).toBe('(w|)', { w });
      scheduler.flush();
      expect(asked).to.deep.equal([]);
    });
  });

  it('does not ask for a rejected message', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { rules, asked } = lookup(() => cold('--(r|)', { r: ruleAnswer }));
      const w = workOf(recordOf({ client_id: 'c' }, { offset: 0 }));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(lookUpRule(rules)))).toBe('(w|)', { w });
      scheduler.flush();
      expect(asked).to.deep.equal([]);
    });
  });

  it('does not ask again when the work already carries an answer (a retry after a version conflict)', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { rules, asked } = lookup(() => cold('--(r|)', { r: ruleAnswer }));
      const w = { ...workOf(recordOf(kycMessage('c'), { offset: 0 })), rule: noRule };
      expectObservable(cold('(w|)', { w }).pipe(asOperator(lookUpRule(rules)))).toBe('(w|)', { w });
      scheduler.flush();
      expect(asked).to.deep.equal([]);
    });
  });

  it('asks for one message at a time, in arrival order', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const answers = ['---(r|)', '(r|)'];
      const at: number[] = [];
      const { rules } = lookup(() => (at.push(scheduler.now()), cold(answers.shift()!, { r: noRule })));
      const out = cold('(ab|)', {
        a: workOf(recordOf(kycMessage('a'), { offset: 0 })),
        b: workOf(recordOf(kycMessage('b'), { offset: 1 })),
      }).pipe(
        asOperator(lookUpRule(rules)),
        map((w) => w.record.offset),
      );
      expectObservable(out).toBe('---(ab|)', { a: '0', b: '1' });
      scheduler.flush();
      expect(at).to.deep.equal([0, 3]);
    });
  });

  it('asks the rule a retried lookup needs, with the trigger and the context of the stored case, and waits for the answer', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { rules, asked } = lookup(() => cold('--(r|)', { r: ruleAnswer }));
      const w = workOf(retryOf(), storedCase);
      expectObservable(cold('(w|)', { w }).pipe(asOperator(lookUpRule(rules)))).toBe('--(w|)', { w: { ...w, rule: ruleAnswer } });
      scheduler.flush();
      expect(asked).to.deep.equal([
        { trigger: TRIGGER, context: { case_id: caseId, client_id: 'client-9', traitement_type: 'KYC', case_type: 'INDIVIDUAL_STANDARD' } },
      ]);
    });
  });

  it('does not ask for a retried lookup of a case notified already, of another trigger, or of a case that does not exist', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { rules, asked } = lookup(() => cold('--(r|)', { r: ruleAnswer }));
      const notifiedCase = evolveCase(storedCase, decided(workOf(retryOf(), storedCase), ruleAnswer).events);
      const works = {
        a: workOf(retryOf({}, 1), notifiedCase),
        b: workOf(retryOf({ trigger: 'CASE_CREATED_KYB_COMPANY_STANDARD' }, 2), storedCase),
        c: workOf(retryOf({ case_id: 'nobody' }, 3), emptyCase('nobody')),
      };
      expectObservable(cold('(abc|)', works).pipe(asOperator(lookUpRule(rules)))).toBe('(abc|)', works);
      scheduler.flush();
      expect(asked).to.deep.equal([]);
    });
  });
});
