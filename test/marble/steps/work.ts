// Builders shared by the operator marble specs: a CaseWork as the pipeline would hand it to an operator.
import { of, type Observable } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import type { NotificationRule } from '../../../src/domain/notificationRule.js';
import { startWork, type CaseWork } from '../../../src/streams/steps/caseWork.js';
import { decideEvents } from '../../../src/streams/steps/decideEvents.js';
import { decodeInbound } from '../../../src/streams/steps/decodeRecord.js';
import type { RuleAnswer } from '../../../src/streams/ports.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { CLIENT_TOPIC, COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';
import { asOperator } from '../../support/steps.js';

export const topics = { clientData: CLIENT_TOPIC, commands: COMMAND_TOPIC } as const;

export const decode = decodeInbound(topics);

/** The work a record starts as, with the state the actor remembers (null: unknown). */
export const workOf = (record: InboundRecord, state: CaseState | null = null): CaseWork => startWork(decode(record), state);

export const activeRule: NotificationRule = {
  rule_id: 'rule-welcome',
  is_active: true,
  notification_type: 'EMAIL_WELCOME',
  template_id: 'tpl-welcome',
  language_code: 'en',
};

/** A rule the Configuration Service has just answered. */
export const ruleAnswer: RuleAnswer = {
  kind: 'rule',
  rule: activeRule,
  source: 'fresh',
  layer: null,
  fetched_at: '2024-03-01T10:00:00.000Z',
};

/** Every value a synchronous Observable emits (throws if it errors or is not synchronous). */
export const syncValues = <T>(source: Observable<T>): T[] => {
  const out: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  source.subscribe({
    next: (v) => out.push(v),
    error: (error: unknown) => {
      failure = { error };
    },
    complete: () => {
      done = true;
    },
  });
  if (failure) throw failure.error;
  if (!done) throw new Error('the observable did not complete synchronously');
  return out;
};

/** The single value a synchronous Observable emits. */
export const syncValue = <T>(source: Observable<T>): T => {
  const values = syncValues(source);
  if (values.length !== 1) throw new Error(`expected one value, got ${values.length}`);
  return values[0]!;
};

/** A work with its events decided (on an empty case for a creation), as appendEvents receives it. */
export const decided = (work: CaseWork, rule: RuleAnswer | null = null): CaseWork =>
  syncValue(of({ ...work, rule }).pipe(asOperator(decideEvents())));

/**
 * A KYC case created from `client_id`'s message without a notification, as its actor remembers it,
 * its trigger, and RetryNotificationLookup records of that trigger (patched, at an offset).
 */
export const caseAwaitingRetry = (client_id: string) => {
  const trigger = 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD';
  const creation = decided(workOf(recordOf(kycMessage(client_id), { offset: 0 })));
  const caseId = creation.command!.case_id;
  const retryOf = (patch: Record<string, unknown> = {}, offset = 1) =>
    recordOf(
      { command_type: 'RetryNotificationLookup', command_id: 'retry-1', case_id: caseId, trigger, ...patch },
      { topic: COMMAND_TOPIC, offset },
    );
  return { trigger, caseId, storedCase: evolveCase(emptyCase(caseId), creation.events), retryOf };
};
