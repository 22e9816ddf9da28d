import type { Attributes } from '@opentelemetry/api';
import { emptyCase, type CaseState } from '../../domain/caseState.js';
import type { Command } from '../../domain/commands.js';
import { andThen, firstOf, type Step } from '../../operators/steps.js';
import { caseCreatedTrigger, notificationRetry, ruleContext } from '../../domain/decideNotification.js';
import type { RuleAnswer, RuleLookup } from '../ports.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import * as attr from '../tracing/semconv.js';

/** The rule question a command asks, or null: a new case, or a retried lookup the case still needs. */
const questionOf = (command: Command | null, state: CaseState | null): Parameters<RuleLookup['ruleFor']> | null => {
  if (command?.command_type === 'CreateCase') return [caseCreatedTrigger(command), ruleContext(command)];
  if (command?.command_type !== 'RetryNotificationLookup') return null;
  const retry = notificationRetry(state ?? emptyCase(command.case_id), command);
  return retry.kind === 'ask' ? [command.trigger, ruleContext(retry.subject)] : null;
};

/** `cache` on a span: a fresh lookup missed the cache, a cached one hit it. */
const CACHE_OF = { fresh: 'miss', cache: 'hit', stale: 'stale' } as const;

/** What a lookup's span tells of its answer: which rule, and where it came from. */
const answerAttributes = (answer: RuleAnswer): Attributes => {
  switch (answer.kind) {
    case 'rule':
      return {
        [attr.RULE_ANSWER]: answer.kind,
        [attr.RULE_ID]: answer.rule.rule_id,
        [attr.RULE_CACHE]: CACHE_OF[answer.source],
        ...(answer.layer === null ? {} : { [attr.RULE_CACHE_LAYER]: answer.layer }),
      };
    case 'no-rule':
      return { [attr.RULE_ANSWER]: answer.kind };
    case 'unavailable':
      return { [attr.RULE_ANSWER]: answer.kind, [attr.RULE_UNAVAILABLE_REASON]: answer.reason };
  }
};

/**
 * Asks which notification rule applies to a new case, or to a case whose lookup is retried (not
 * when the case is unknown, has the notification or raised another trigger); other messages pass untouched.
 */
export const lookUpRule =
  (rules: RuleLookup): Step<CaseWork> =>
  (w) => {
    const question = w.rule === null ? questionOf(w.command, w.state) : null;
    if (question === null) return w;
    const answer = inStepSpan(w.trace, 'rule lookup', () => rules.ruleFor(...question), {
      attributes: () => ({ [attr.RULE_TRIGGER]: question[0] }),
      onValue: (span, answer) => span.setAttributes(answerAttributes(answer)),
    });
    // The first answer: the lookup need not complete.
    return andThen(firstOf(answer), (rule): CaseWork => ({ ...w, rule }));
  };
