import * as E from 'fp-ts/lib/Either.js';
import { emptyCase } from '../../domain/caseState.js';
import { decide } from '../../domain/decide.js';
import { notificationsToRequeue } from '../../domain/notificationRequeue.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';

/**
 * state + command → events, or a rejection (a document's notes bounded by `maxNotesPerDocument`), and
 * the recorded notifications an accepted message re-queues. Pure.
 */
export const decideEvents =
  (maxNotesPerDocument?: number): Step<CaseWork> =>
  (w) => {
    if (w.command === null || w.rejection !== null) return w;
    const state = w.state ?? emptyCase(w.command.case_id);
    const rule = w.rule?.kind === 'rule' ? w.rule : null;
    const decided = decide(state, w.command, rule, maxNotesPerDocument, w.beneficialOwners);
    return E.isLeft(decided)
      ? { ...w, state, rejection: decided.left, events: [] }
      : { ...w, state, events: decided.right, requeue: notificationsToRequeue(state, w.command) };
  };
