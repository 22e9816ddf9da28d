import * as E from 'fp-ts/lib/Either.js';
import { decodeCaseCommand, type CaseCommand } from '../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import { decodeClientMessage } from '../../src/domain/clientMessage.js';
import { createCaseCommand } from '../../src/domain/commands.js';
import { contentHash } from '../../src/domain/contentHash.js';
import { caseCreatedTrigger } from '../../src/domain/decideNotification.js';
import { decide } from '../../src/domain/decide.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { selectRule, type NotificationRule } from '../../src/domain/notificationRule.js';
import { projectEvents, ReadModelNames, type ReadModelName } from '../../src/domain/projections.js';
import type { Rejection } from '../../src/domain/rejection.js';
import type { BenchMessage, RulesByTrigger, Workload } from './workload.js';

/** What one message makes the service store and publish (documents created, documents changed, notifications). */
export interface Work {
  /** domain_events documents. */
  events: number;
  cases: number;
  persons: number;
  companies: number;
  beneficial_owners: number;
  document_requirements: number;
  raw_events: number;
  command_results: number;
  /** Changes to existing read-model documents (a document status update). */
  updates: number;
  notifications: number;
  dead_letters: number;
}

export const WORK_FIELDS = [
  'events',
  'cases',
  'persons',
  'companies',
  'beneficial_owners',
  'document_requirements',
  'raw_events',
  'command_results',
  'updates',
  'notifications',
  'dead_letters',
] as const satisfies readonly (keyof Work)[];

export const zeroWork = (): Work => ({
  events: 0,
  cases: 0,
  persons: 0,
  companies: 0,
  beneficial_owners: 0,
  document_requirements: 0,
  raw_events: 0,
  command_results: 0,
  updates: 0,
  notifications: 0,
  dead_letters: 0,
});

/** The `x-bench-work` header: the work vector as comma-separated integers in WORK_FIELDS order (read by the limit contender). */
export const encodeWork = (w: Work): string => WORK_FIELDS.map((f) => w[f]).join(',');
export const decodeWork = (header: string): Work => {
  const parts = header.split(',').map(Number);
  const w = zeroWork();
  WORK_FIELDS.forEach((f, i) => (w[f] = parts[i] ?? 0));
  return w;
};

export interface Expectations {
  readonly perMessage: readonly Work[];
  readonly totals: Work;
  /** The NotificationRequired event id of every notified client message → its index. */
  readonly notificationIndex: ReadonlyMap<string, number>;
  readonly expectedNotifications: number;
}

/** The collection each read model is stored in, and how a Work counts it. */
const readModelField: Record<ReadModelName, keyof Work> = {
  cases: 'cases',
  persons: 'persons',
  companies: 'companies',
  beneficial_owners: 'beneficial_owners',
  document_requirements: 'document_requirements',
};

/** One workload message as casestream's domain decides it. */
export interface DecidedMessage {
  readonly message: BenchMessage;
  /** The message's JSON body. */
  readonly parsed: unknown;
  /** The events it records (none when it is rejected). */
  readonly events: readonly DomainEvent[];
  /** The command it carries (follow-up commands only). */
  readonly command?: CaseCommand;
  /** Why it is rejected (a command the case's state refuses; it goes to the dead-letter topic). */
  readonly rejected?: Rejection;
}

/**
 * Runs the workload through casestream's own domain (decode, decide) in message order, with the
 * rules the stub serves: what a correct contender decides for every message.
 */
export function* decideWorkload(workload: Workload, rules: RulesByTrigger): Generator<DecidedMessage> {
  const ruleCache = new Map<string, NotificationRule | null>();
  const ruleFor = (trigger: string): NotificationRule | null => {
    if (!ruleCache.has(trigger)) {
      const selected = selectRule([...(rules[trigger] ?? [])]);
      ruleCache.set(trigger, E.isRight(selected) ? selected.right.rule : null);
    }
    return ruleCache.get(trigger) ?? null;
  };
  const states = new Map<string, CaseState>();
  for (const message of workload.messages) {
    const context = { key: message.messageId, content_hash: contentHash(message.value), timestamp: new Date(0) };
    const parsed: unknown = JSON.parse(message.value.toString('utf8'));
    if (message.kind === 'client') {
      const decoded = decodeClientMessage(parsed);
      if (E.isLeft(decoded)) throw new Error(`workload message ${message.index} is invalid: ${JSON.stringify(decoded.left)}`);
      const cmd = createCaseCommand(decoded.right, context);
      const rule = ruleFor(caseCreatedTrigger(cmd));
      const decided = decide(emptyCase(cmd.case_id), cmd, rule && { rule, source: 'fresh', fetched_at: context.timestamp.toISOString() });
      if (E.isLeft(decided)) throw new Error(`workload message ${message.index} is rejected: ${decided.left.reason}`);
      states.set(cmd.case_id, evolveCase(emptyCase(cmd.case_id), decided.right));
      yield { message, parsed, events: decided.right };
    } else {
      const decoded = decodeCaseCommand(parsed);
      if (E.isLeft(decoded)) throw new Error(`workload command ${message.index} is invalid: ${JSON.stringify(decoded.left)}`);
      const state = states.get(message.caseId) ?? emptyCase(message.caseId);
      const decided = decide(state, { ...decoded.right, ...context }, null);
      if (E.isLeft(decided)) {
        yield { message, parsed, events: [], command: decoded.right, rejected: decided.left };
      } else {
        states.set(message.caseId, evolveCase(state, decided.right));
        yield { message, parsed, events: decided.right, command: decoded.right };
      }
    }
  }
}

/**
 * Counts what each message must store and publish. This is what a correct contender's database
 * and notification topic hold at the end, and it is the hint the limit contender reads (it does no
 * domain work of its own).
 */
export const expectations = (workload: Workload, rules: RulesByTrigger): Expectations => {
  const notificationIndex = new Map<string, number>();
  const totals = zeroWork();
  const perMessage: Work[] = [];
  for (const { message, events, rejected } of decideWorkload(workload, rules)) {
    const w = zeroWork();
    if (message.kind === 'client') w.raw_events = 1;
    else w.command_results = 1;
    if (rejected) w.dead_letters = 1;
    w.events = events.length;
    for (const e of events) {
      if (e.event_type !== 'NotificationRequired') continue;
      w.notifications += 1;
      notificationIndex.set(e.event_id, message.index);
    }
    const created = new Map<ReadModelName, Set<string>>(ReadModelNames.map((n) => [n, new Set<string>()]));
    for (const write of projectEvents(events)) {
      if (write.guard) w.updates += 1;
      else created.get(write.collection)!.add(write.id);
    }
    for (const [name, ids] of created) w[readModelField[name]] += ids.size;
    for (const f of WORK_FIELDS) totals[f] += w[f];
    perMessage.push(w);
  }
  return { perMessage, totals, notificationIndex, expectedNotifications: totals.notifications };
};

/** The collections a contender's database must hold at the end, with their document counts. */
export const expectedCollections = (totals: Work): Record<string, number> => ({
  domain_events: totals.events,
  cases: totals.cases,
  persons: totals.persons,
  companies: totals.companies,
  beneficial_owners: totals.beneficial_owners,
  document_requirements: totals.document_requirements,
  raw_events: totals.raw_events,
  command_results: totals.command_results,
});
