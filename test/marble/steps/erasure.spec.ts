import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { idsFor } from '../../../src/domain/deterministicId.js';
import { isEventOf } from '../../../src/domain/events.js';
import type { Erasure, PersonalDataStore, RawCopyHold } from '../../../src/streams/ports.js';
import type { CaseWork } from '../../../src/streams/steps/caseWork.js';
import { erasePersonalData } from '../../../src/streams/steps/erasePersonalData.js';
import { holdRawCopies } from '../../../src/streams/steps/holdRawCopies.js';
import { lookUpBeneficialOwners } from '../../../src/streams/steps/lookUpBeneficialOwners.js';
import { rawCopyId } from '../../../src/streams/steps/recordRawEvent.js';
import { newTestScheduler } from '../../support/marbles.js';
import { COMMAND_TOPIC, kybMessage, kycMessage, recordOf } from '../../support/records.js';
import { asOperator } from '../../support/steps.js';
import { decided, workOf } from './work.js';

// A KYB case as its actor knows it once created, and commands on it.
const creation = decided(workOf(recordOf(kybMessage('client-kyb'), { offset: 0, headers: { 'message-id': 'create-1' } })));
const caseId = creation.command!.case_id;
const companyId = creation.events.find(isEventOf('CaseCreated'))!.payload.company_id!;
const stored = evolveCase(emptyCase(caseId), creation.events);
const [jane] = creation.events.filter(isEventOf('PersonAddedToCase')).map((e) => e.payload.person_id);
const [owner] = creation.events.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id);

const commandWork = (command: Record<string, unknown>, offset = 1): CaseWork =>
  workOf(recordOf({ command_id: `cmd-${offset}`, case_id: caseId, ...command }, { topic: COMMAND_TOPIC, offset }), stored);

const eraseWork = (kind: 'person' | 'beneficial_owner', id: string, offset = 1): CaseWork =>
  commandWork({ command_type: 'EraseSubject', subject: { kind, id }, reason: 'GDPR', requested_by: 'dpo' }, offset);

/** The work once its events are appended: the state folded, as appendEvents hands it on. */
const appended = (w: CaseWork): CaseWork => ({ ...w, state: evolveCase(w.state!, w.events) });

/** A store of personal data answering with `answer()`, logging what it was asked. */
const storeAnswering = (answer: () => Observable<void>, owners: () => Observable<ReadonlySet<string>>) => {
  const erased: Erasure[] = [];
  const asked: string[] = [];
  const holds: RawCopyHold[] = [];
  const store: PersonalDataStore = {
    beneficialOwners: (company_id) => {
      asked.push(company_id);
      return owners();
    },
    erase: (erasure) => {
      erased.push(erasure);
      return answer();
    },
    holdRawCopies: (hold) => {
      holds.push(hold);
      return answer();
    },
  };
  return { store, erased, asked, holds };
};

describe('lookUpBeneficialOwners', () => {
  it("asks for the beneficial owners of the case's company for an erasure of one, and waits for them", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const owners = new Set([owner!]);
      const { store, asked } = storeAnswering(
        () => cold('|'),
        () => cold('--(o|)', { o: owners }),
      );
      const w = eraseWork('beneficial_owner', owner!);
      expectObservable(cold('(w|)', { w }).pipe(asOperator(lookUpBeneficialOwners(store)))).toBe('--(w|)', {
        w: { ...w, beneficialOwners: owners },
      });
      scheduler.flush();
      expect(asked).to.deep.equal([companyId]);
    });
  });

  it("asks nothing for a person's erasure, another command, or a case without a company", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { store, asked } = storeAnswering(
        () => cold('|'),
        () => cold('-(o|)', { o: new Set<string>() }),
      );
      const person = eraseWork('person', jane!);
      const hold = commandWork({ command_type: 'PlaceLegalHold', reason: 'AML', placed_by: 'mlro' }, 2);
      const kyc = decided(workOf(recordOf(kycMessage('client-kyc'), { offset: 3 })));
      const kycErasure = { ...eraseWork('beneficial_owner', 'bo-1', 4), state: evolveCase(emptyCase(kyc.command!.case_id), kyc.events) };
      expectObservable(cold('(abcd|)', { a: person, b: hold, c: kyc, d: kycErasure }).pipe(asOperator(lookUpBeneficialOwners(store)))).toBe(
        '(abcd|)',
        { a: person, b: hold, c: kyc, d: kycErasure },
      );
      scheduler.flush();
      expect(asked).to.deep.equal([]);
    });
  });
});

describe('erasePersonalData', () => {
  it('masks the subject once its erasure is recorded, and passes the work on when the masking is done', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { store, erased } = storeAnswering(
        () => cold('---(x|)', { x: undefined }),
        () => cold('|'),
      );
      const w = appended(decided(eraseWork('person', jane!)));
      expectObservable(cold('(w|)', { w }).pipe(asOperator(erasePersonalData(store)))).toBe('---(w|)', { w });
      scheduler.flush();
      expect(erased).to.deep.equal([
        {
          case_id: caseId,
          company_id: companyId,
          subject: { kind: 'person', id: jane },
          raw_ids: [rawCopyId(idsFor('create-1'))],
          version: stored.version + 1,
        },
      ]);
    });
  });

  it('masks again when the erasure recorded nothing new (already erased): a crash may have interrupted the first masking', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { store, erased } = storeAnswering(
        () => cold('-|'),
        () => cold('|'),
      );
      const first = appended(decided(eraseWork('person', jane!)));
      const again = decided({ ...eraseWork('person', jane!, 2), state: first.state });
      expect(again.events).to.deep.equal([]);
      cold('(w|)', { w: again })
        .pipe(asOperator(erasePersonalData(store)))
        .subscribe();
      scheduler.flush();
      expect(erased.map((e) => e.subject)).to.deep.equal([{ kind: 'person', id: jane }]);
    });
  });

  it('masks nothing for a refused erasure or for any other command', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { store, erased } = storeAnswering(
        () => cold('-|'),
        () => cold('|'),
      );
      const unknown = appended(decided(eraseWork('person', 'nobody')));
      const hold = appended(decided(commandWork({ command_type: 'PlaceLegalHold', reason: 'AML', placed_by: 'mlro' }, 2)));
      expect(unknown.rejection?.reason).to.contain('unknown person nobody');
      expectObservable(cold('(ab|)', { a: unknown, b: hold }).pipe(asOperator(erasePersonalData(store)))).toBe('(ab|)', {
        a: unknown,
        b: hold,
      });
      scheduler.flush();
      expect(erased).to.deep.equal([]);
    });
  });
});

describe('holdRawCopies', () => {
  const place = (offset: number, state: CaseWork['state'] = stored) =>
    appended(decided({ ...commandWork({ command_type: 'PlaceLegalHold', reason: 'AML', placed_by: 'mlro' }, offset), state }));
  const lift = (offset: number, state: CaseWork['state']) =>
    appended(decided({ ...commandWork({ command_type: 'LiftLegalHold', reason: 'closed', lifted_by: 'mlro' }, offset), state }));
  const raw_ids = [rawCopyId(idsFor('create-1'))];

  it("holds the case's raw copy once the hold is recorded, releases it once lifted, and passes the work on when done", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { store, holds } = storeAnswering(
        () => cold('--(x|)', { x: undefined }),
        () => cold('|'),
      );
      const placed = place(1);
      const lifted = lift(2, placed.state);
      expect(placed.state?.legal_hold).to.not.equal(null);
      expectObservable(cold('(w|)', { w: placed }).pipe(asOperator(holdRawCopies(store)))).toBe('--(w|)', { w: placed });
      expectObservable(cold('(w|)', { w: lifted }).pipe(asOperator(holdRawCopies(store)))).toBe('--(w|)', { w: lifted });
      scheduler.flush();
      expect(holds).to.deep.equal([
        { case_id: caseId, raw_ids, held: true },
        { case_id: caseId, raw_ids, held: false },
      ]);
    });
  });

  it('holds again when a hold is placed twice (a crash may have interrupted the first), and asks nothing for other commands', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { store, holds } = storeAnswering(
        () => cold('-|'),
        () => cold('|'),
      );
      const placed = place(1);
      const again = place(2, placed.state);
      expect(again.events).to.deep.equal([]);
      const erasure = appended(decided(eraseWork('person', jane!, 3)));
      cold('(ab|)', { a: again, b: erasure })
        .pipe(asOperator(holdRawCopies(store)))
        .subscribe();
      scheduler.flush();
      expect(holds).to.deep.equal([{ case_id: caseId, raw_ids, held: true }]);
    });
  });
});
