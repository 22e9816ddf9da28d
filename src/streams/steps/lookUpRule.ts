import { concatMap, map, of, take, type OperatorFunction } from 'rxjs';
import { caseCreatedTrigger, ruleContext } from '../../domain/decideNotification.js';
import type { RuleLookup } from '../ports.js';
import type { CaseWork } from './caseWork.js';

/** Asks which notification rule applies to a new case; other messages pass untouched. */
export const lookUpRule = (rules: RuleLookup): OperatorFunction<CaseWork, CaseWork> =>
  concatMap((w) => {
    if (w.command?.command_type !== 'CreateCase' || w.rule !== null) return of(w);
    return rules.ruleFor(caseCreatedTrigger(w.command), ruleContext(w.command)).pipe(
      take(1),
      map((rule) => ({ ...w, rule })),
    );
  });
