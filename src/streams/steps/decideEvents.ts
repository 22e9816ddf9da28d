import * as E from 'fp-ts/lib/Either.js';
import { emptyCase } from '../../domain/caseState.js';
import { decide } from '../../domain/decide.js';
import { notificationsToRequeue, type RecordedNotification } from '../../domain/notificationRequeue.js';
import { recordedRanges } from '../../domain/redelivery.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';

const NONE: readonly RecordedNotification[] = [];

/**
 * state + command → events, or a rejection (a document's notes bounded by `maxNotesPerDocument`), and
 * what an accepted redelivery re-applies as stored: the recorded events it re-projects and, when its
 * case had to be loaded (as after any crash), the recorded notifications it re-queues. A redelivery
 * the actor remembers the case for (a producer's retry) re-queues nothing: its notification was
 * published, or is still waiting in the outbox, and is not sent again. Pure.
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
      : {
          ...w,
          state,
          events: decided.right,
          requeue: w.loaded ? notificationsToRequeue(state, w.command) : NONE,
          reproject: recordedRanges(state, w.command),
        };
  };
