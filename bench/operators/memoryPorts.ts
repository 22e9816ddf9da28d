import * as E from 'fp-ts/lib/Either.js';
import { Observable, of } from 'rxjs';
import { emptyCase, evolveCase, type CaseState } from '../../src/domain/caseState.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { selectRule } from '../../src/domain/notificationRule.js';
import type { AppendResult, PipelinePorts, RuleAnswer } from '../../src/streams/ports.js';
import { inMemoryAppend } from '../../test/support/inMemoryAppend.js';
import type { RulesByTrigger } from '../common/workload.js';

/** A port's answer, computed at each subscription and given at once: one Observable, where `defer(() => of(…))` makes two. */
const answer = <T>(value: () => T): Observable<T> =>
  new Observable<T>((subscriber) => {
    subscriber.next(value());
    subscriber.complete();
  });

const done: Observable<void> = answer(() => undefined);

/**
 * Minimal synchronous in-memory ports for the operator benchmark: every call answers at once
 * (a cold Observable), with O(1) work per event; the bare loop calls the same store directly. Unlike test/support/FakePorts (which keeps one array of
 * every event and scans it) the event store keeps one array per aggregate and a map by event id,
 * with the same append rules (test/unit/contracts/storeContracts.spec.ts runs the event-store
 * contract against both); the other ports only count what they are given (read models included:
 * nothing is kept to read back): the benchmark measures the operators, not the fakes.
 */
export class MemoryPorts {
  private streams = new Map<string, DomainEvent[]>();
  private byId = new Map<string, DomainEvent>();
  private readonly answers = new Map<string, RuleAnswer>();
  events = 0;
  duplicates = 0;
  conflicts = 0;
  loads = 0;
  readModelWrites = 0;
  notifications = 0;
  requeued = 0;
  deadLetters = 0;
  rawEvents = 0;
  lookupFailures = 0;
  commandResults = 0;

  constructor(private readonly rules: RulesByTrigger) {}

  /** Drops the stored events (to see how much of the heap they were). */
  clear(): void {
    this.streams = new Map();
    this.byId = new Map();
  }

  /** The rule for a trigger, cached; the context does not change it here. */
  ruleFor(trigger: string, _context?: Readonly<Record<string, unknown>>): RuleAnswer {
    let answer = this.answers.get(trigger);
    if (!answer) {
      const selected = selectRule([...(this.rules[trigger] ?? [])]);
      answer =
        E.isRight(selected) && selected.right.rule
          ? { kind: 'rule', rule: selected.right.rule, source: 'cache', layer: 'memory', fetched_at: new Date().toISOString() }
          : { kind: 'no-rule' };
      this.answers.set(trigger, answer);
    }
    return answer;
  }

  /** The stored events of one aggregate in version order. */
  stream(aggregate_id: string): DomainEvent[] {
    return (this.streams.get(aggregate_id) ?? []).filter((e) => e !== undefined);
  }

  /** A case's state, folded from its stored events: what a load answers. */
  loaded(case_id: string): CaseState {
    this.loads += 1;
    return evolveCase(emptyCase(case_id), this.stream(case_id));
  }

  /** The stored events of a stream from `first` to `last` (its end), up to the first version missing: O(events read). */
  eventsAt(aggregate_id: string, first: number, last = Number.POSITIVE_INFINITY): DomainEvent[] {
    const stream = this.streams.get(aggregate_id) ?? [];
    const found: DomainEvent[] = [];
    for (let version = first; version <= last; version += 1) {
      const e = stream[version - 1];
      if (e === undefined) break;
      found.push(e);
    }
    return found;
  }

  /** The real store's rules (test/support/inMemoryAppend.ts), looked up in O(1) per event. */
  append(events: readonly DomainEvent[]): AppendResult {
    const { result, fresh } = inMemoryAppend(
      { byId: (event_id) => this.byId.get(event_id), at: (aggregate_id, version) => this.streams.get(aggregate_id)?.[version - 1] },
      events,
    );
    if (result.kind === 'conflict') this.conflicts += 1;
    if (result.kind === 'appended') this.duplicates += result.duplicates;
    for (const e of fresh) {
      let stream = this.streams.get(e.aggregate_id);
      if (!stream) this.streams.set(e.aggregate_id, (stream = []));
      stream[e.version - 1] = e;
      this.byId.set(e.event_id, e);
      this.events += 1;
    }
    return result;
  }

  readonly ports: PipelinePorts = {
    eventStore: {
      append: (events) => answer(() => this.append(events)),
      load: (case_id) => answer(() => this.loaded(case_id)),
      eventsAt: (aggregate_id, first, last) => answer(() => this.eventsAt(aggregate_id, first, last)),
    },
    readModels: {
      apply: (writes) =>
        answer(() => {
          this.readModelWrites += writes.length;
        }),
    },
    rules: { ruleFor: (trigger, context) => answer(() => this.ruleFor(trigger, context)) },
    notifications: {
      publish: (events) =>
        answer(() => {
          this.notifications += events.length;
        }),
    },
    outbox: {
      requeue: (notifications) =>
        answer(() => {
          this.requeued += notifications.length;
        }),
    },
    deadLetters: {
      send: () =>
        answer(() => {
          this.deadLetters += 1;
        }),
    },
    rawEvents: {
      record: () =>
        answer(() => {
          this.rawEvents += 1;
        }),
    },
    lookupFailures: {
      record: () =>
        answer(() => {
          this.lookupFailures += 1;
        }),
      resolve: () => done,
    },
    commandResults: {
      record: () =>
        answer(() => {
          this.commandResults += 1;
        }),
    },
    // the bench's workload erases nobody
    personalData: { beneficialOwners: () => of(new Set<string>()), erase: () => done, holdRawCopies: () => done },
  };
}
