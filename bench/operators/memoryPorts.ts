import * as E from 'fp-ts/lib/Either.js';
import { defer, of, type Observable } from 'rxjs';
import type { DomainEvent } from '../../src/domain/events.js';
import { contentDiffers } from '../../src/domain/keyReuse.js';
import { selectRule } from '../../src/domain/notificationRule.js';
import type { AppendResult, PipelinePorts, RuleAnswer } from '../../src/streams/ports.js';
import type { RulesByTrigger } from '../common/workload.js';

const done: Observable<void> = defer(() => of(undefined));

/**
 * Minimal synchronous in-memory ports for the operator benchmark: every call answers at once
 * (a cold `of`), with O(1) work per event. Unlike test/support/FakePorts (which keeps one array of
 * every event and scans it) the event store keeps one array per aggregate, and the other ports
 * only count what they are given: the benchmark measures the operators, not the fakes.
 */
export class MemoryPorts {
  private streams = new Map<string, DomainEvent[]>();
  private readonly answers = new Map<string, RuleAnswer>();
  events = 0;
  duplicates = 0;
  conflicts = 0;
  loads = 0;
  readModelWrites = 0;
  notifications = 0;
  deadLetters = 0;
  rawEvents = 0;
  lookupFailures = 0;
  commandResults = 0;

  constructor(private readonly rules: RulesByTrigger) {}

  /** Drops the stored events (to see how much of the heap they were). */
  clear(): void {
    this.streams = new Map();
  }

  private ruleFor(trigger: string): RuleAnswer {
    let answer = this.answers.get(trigger);
    if (!answer) {
      const selected = selectRule([...(this.rules[trigger] ?? [])]);
      answer = E.isRight(selected) && selected.right.rule ? { kind: 'rule', rule: selected.right.rule } : { kind: 'no-rule' };
      this.answers.set(trigger, answer);
    }
    return answer;
  }

  /** Idempotent per event id and content, one version per aggregate, all or nothing: the real store's rules. */
  private append(events: readonly DomainEvent[]): AppendResult {
    let duplicates = 0;
    for (const e of events) {
      const stored = this.streams.get(e.aggregate_id)?.[e.version - 1];
      if (stored === undefined) continue;
      if (stored.event_id === e.event_id) {
        if (contentDiffers(stored.metadata.content_hash, e.metadata.content_hash)) return { kind: 'key-reused' };
        duplicates += 1;
      } else {
        this.conflicts += 1;
        return { kind: 'conflict', aggregate_id: e.aggregate_id, version: e.version };
      }
    }
    for (const e of events) {
      let stream = this.streams.get(e.aggregate_id);
      if (!stream) this.streams.set(e.aggregate_id, (stream = []));
      if (stream[e.version - 1] === undefined) {
        stream[e.version - 1] = e;
        this.events += 1;
      }
    }
    this.duplicates += duplicates;
    return { kind: 'appended', duplicates };
  }

  readonly ports: PipelinePorts = {
    eventStore: {
      append: (events) => defer(() => of(this.append(events))),
      load: (aggregate_id) =>
        defer(() => {
          this.loads += 1;
          return of((this.streams.get(aggregate_id) ?? []).filter((e) => e !== undefined));
        }),
    },
    readModels: {
      apply: (writes) =>
        defer(() => {
          this.readModelWrites += writes.length;
          return done;
        }),
    },
    rules: { ruleFor: (trigger) => defer(() => of(this.ruleFor(trigger))) },
    notifications: {
      publish: (events) =>
        defer(() => {
          this.notifications += events.length;
          return done;
        }),
    },
    deadLetters: {
      send: () =>
        defer(() => {
          this.deadLetters += 1;
          return done;
        }),
    },
    rawEvents: {
      record: () =>
        defer(() => {
          this.rawEvents += 1;
          return done;
        }),
    },
    lookupFailures: {
      record: () =>
        defer(() => {
          this.lookupFailures += 1;
          return done;
        }),
    },
    commandResults: {
      record: () =>
        defer(() => {
          this.commandResults += 1;
          return done;
        }),
    },
  };
}
