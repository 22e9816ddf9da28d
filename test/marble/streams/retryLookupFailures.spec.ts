import { expect } from 'chai';
import { of, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { RetryNotificationLookup } from '../../../src/domain/caseCommand.js';
import { lookupRetryCommand } from '../../../src/domain/commands.js';
import {
  retryLookupFailures,
  type LookupFailureView,
  type LookupRetryPorts,
  type RetryOptions,
} from '../../../src/streams/retryLookupFailures.js';
import { newTestScheduler } from '../../support/marbles.js';

const failure = (n: number, patch: Partial<LookupFailureView> = {}): LookupFailureView => ({
  _id: `case-${n}|CASE_CREATED_KYC_STANDARD`,
  case_id: `case-${n}`,
  trigger: 'CASE_CREATED_KYC_STANDARD',
  status: 'open',
  failures: 1,
  last_reason: 'HTTP 503',
  ...patch,
});

const idOf = (f: LookupFailureView): string => lookupRetryCommand(f).command_id;

/** A command result, and when (virtual ms) it appears. */
interface Result {
  readonly at: number;
  readonly end: { readonly status: 'processed' } | { readonly status: 'rejected'; readonly reason: string };
}

/**
 * Ports over virtual time: `open` failures, a publish taking `publishMs`, command results that
 * appear at given times, and failures as the pipeline left them once their command was processed.
 */
const fakePorts = (
  scheduler: TestScheduler,
  setup: {
    readonly open: readonly LookupFailureView[];
    readonly publish: () => Observable<void>;
    /** Per command id: when its result appears, and what it is. */
    readonly results?: ReadonlyMap<string, Result>;
    /** The failures as they are after their command: by failure id. */
    readonly after?: ReadonlyMap<string, LookupFailureView>;
  },
) => {
  const published: { readonly at: number; readonly command: RetryNotificationLookup }[] = [];
  const polls: { readonly at: number; readonly ids: readonly string[] }[] = [];
  const found: (readonly string[])[] = [];
  const ports: LookupRetryPorts = {
    open: () => of(setup.open),
    publish: (command) => {
      published.push({ at: scheduler.now(), command });
      return setup.publish();
    },
    ended: (ids) => {
      polls.push({ at: scheduler.now(), ids });
      return of(
        ids.flatMap((command_id) => {
          const r = setup.results?.get(command_id);
          return r && r.at <= scheduler.now() ? [{ command_id, ...r.end }] : [];
        }),
      );
    },
    find: (ids) => {
      found.push(ids);
      return of(ids.flatMap((id) => setup.after?.get(id) ?? []));
    },
  };
  return { ports, published, polls, found };
};

const options = (scheduler: TestScheduler, patch: Partial<RetryOptions> = {}): RetryOptions => ({
  limit: 100,
  waitMs: 100,
  pollMs: 10,
  scheduler,
  ...patch,
});

describe('retryLookupFailures', () => {
  it('sends one RetryNotificationLookup per open failure, to its case, and waits for results only once Kafka has them all', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const open = [failure(1), failure(2, { failures: 3 })];
      const { ports, published, polls } = fakePorts(scheduler, { open, publish: () => cold('---(x|)', { x: undefined }) });
      retryLookupFailures(ports, options(scheduler)).subscribe();
      scheduler.flush();
      expect(published).to.deep.equal([
        { at: 0, command: lookupRetryCommand(open[0]!) },
        { at: 0, command: lookupRetryCommand(open[1]!) },
      ]);
      expect(published[0]!.command).to.include({
        command_type: 'RetryNotificationLookup',
        case_id: 'case-1',
        trigger: 'CASE_CREATED_KYC_STANDARD',
      });
      expect(polls[0]).to.deep.equal({ at: 3, ids: [idOf(open[0]!), idOf(open[1]!)] });
    });
  });

  it("tells how each retry ended, from its command's result and the failure the pipeline closed or left open", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const open = [1, 2, 3, 4, 5, 6].map((n) => failure(n));
      const processed: Result = { at: 0, end: { status: 'processed' } };
      const { ports } = fakePorts(scheduler, {
        open,
        publish: () => cold('(x|)', { x: undefined }),
        results: new Map<string, Result>([
          ...open.slice(0, 5).map((f) => [idOf(f), processed] as const),
          [idOf(open[5]!), { at: 0, end: { status: 'rejected', reason: 'unknown case case-6' } }],
        ]),
        after: new Map<string, LookupFailureView>([
          [open[0]!._id, { ...open[0]!, status: 'resolved', outcome: 'notified', event_id: 'evt-1' }],
          [open[1]!._id, { ...open[1]!, status: 'resolved', outcome: 'no-rule' }],
          [open[2]!._id, { ...open[2]!, status: 'resolved', outcome: 'already-notified' }],
          [open[3]!._id, { ...open[3]!, status: 'resolved', outcome: 'other-trigger' }],
          [open[4]!._id, { ...open[4]!, failures: 2, last_reason: 'circuit open' }],
        ]),
      });
      const base = (f: LookupFailureView) => ({ case_id: f.case_id, trigger: f.trigger, command_id: idOf(f) });
      expectObservable(retryLookupFailures(ports, options(scheduler))).toBe('(a|)', {
        a: [
          { ...base(open[0]!), outcome: 'notified', event_id: 'evt-1' },
          { ...base(open[1]!), outcome: 'no-rule' },
          { ...base(open[2]!), outcome: 'already-notified' },
          { ...base(open[3]!), outcome: 'other-trigger' },
          { ...base(open[4]!), outcome: 'still-failing', reason: 'circuit open' },
          { ...base(open[5]!), outcome: 'rejected', reason: 'unknown case case-6' },
        ],
      });
    });
  });

  it('reads the results every pollMs, asking only about commands still without one, and stops once each has one', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const open = [failure(1), failure(2)];
      const { ports, polls } = fakePorts(scheduler, {
        open,
        publish: () => cold('(x|)', { x: undefined }),
        results: new Map<string, Result>([
          [idOf(open[0]!), { at: 15, end: { status: 'rejected', reason: 'r1' } }],
          [idOf(open[1]!), { at: 25, end: { status: 'rejected', reason: 'r2' } }],
        ]),
      });
      expectObservable(retryLookupFailures(ports, options(scheduler))).toBe('30ms (a|)', {
        a: open.map((f, i) => ({ case_id: f.case_id, trigger: f.trigger, command_id: idOf(f), outcome: 'rejected', reason: `r${i + 1}` })),
      });
      scheduler.flush();
      expect(polls.map((p) => [p.at, p.ids.length])).to.deep.equal([
        [0, 2],
        [10, 2],
        [20, 2],
        [30, 1],
      ]);
    });
  });

  it('gives up after waitMs, with a last look at the deadline, and reports the commands still without a result as pending', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const open = [failure(1)];
      const { ports, polls, found } = fakePorts(scheduler, { open, publish: () => cold('(x|)', { x: undefined }) });
      expectObservable(retryLookupFailures(ports, options(scheduler, { waitMs: 25 }))).toBe('25ms (a|)', {
        a: [{ case_id: 'case-1', trigger: 'CASE_CREATED_KYC_STANDARD', command_id: idOf(open[0]!), outcome: 'pending' }],
      });
      scheduler.flush();
      expect(polls.map((p) => p.at)).to.deep.equal([0, 10, 20, 25]);
      expect(found).to.deep.equal([]);
    });
  });

  it('sends nothing and reports nothing when no lookup failure is open', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { ports, published, polls } = fakePorts(scheduler, { open: [], publish: () => cold('(x|)', { x: undefined }) });
      expectObservable(retryLookupFailures(ports, options(scheduler))).toBe('(a|)', { a: [] });
      scheduler.flush();
      expect([...published, ...polls]).to.deep.equal([]);
    });
  });

  it('fails when a command cannot be sent, without waiting for results', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const { ports, polls } = fakePorts(scheduler, { open: [failure(1)], publish: () => cold('-#', {}, new Error('broker down')) });
      expectObservable(retryLookupFailures(ports, options(scheduler))).toBe('-#', {}, new Error('broker down'));
      scheduler.flush();
      expect(polls).to.deep.equal([]);
    });
  });
});
