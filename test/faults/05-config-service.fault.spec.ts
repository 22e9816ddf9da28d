import { expect } from 'chai';
import { sleep } from '../support/stack.js';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario, round } from './support/scenario.js';

const splitInto = <T>(items: readonly T[], parts: number): T[][] =>
  Array.from({ length: parts }, (_, i) =>
    items.slice(Math.floor((items.length * i) / parts), Math.floor((items.length * (i + 1)) / parts)),
  );

// Fault 5: the Configuration Service answers 5xx, then times out, then returns garbage, then
// recovers (the in-process stub's failure modes). Rule freshness is 1 s and stale-if-error is off
// (CONFIG_CACHE_STALE_TTL_SECONDS=0), so the failures really reach the cases instead of being
// hidden by the cache.
//
// Invariant for this scenario, while the service runs: every case whose rule matches has exactly
// one NotificationRequired OR an open entry in notification_lookup_failures (its lookup failed); no
// case has more than one. Then `casestream notifications retry`, run as an operator runs it, must
// leave every matched case with exactly one NotificationRequired, on the topic, and no open
// failure; a second run must find nothing left to do.
describe('fault suite 05: Configuration Service 5xx, timeouts, garbage, then recovery', function () {
  this.timeout(90 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);

  it('still creates every case, records every failed lookup, never notifies twice, and keeps consuming', async () => {
    s = await FaultScenario.create({
      name: '05-config-service',
      title: 'Configuration Service 5xx → timeout → garbage → recovery',
      valid: faultMessages(),
      env: {
        CONFIG_CACHE_TTL_SECONDS: '1',
        CONFIG_CACHE_NEGATIVE_TTL_SECONDS: '1',
        CONFIG_CACHE_STALE_TTL_SECONDS: '0',
        DEFAULT_HTTP_TIMEOUT: '1',
      },
      check: { allowLookupFailures: true },
    });
    const scenario = s;
    // Lookups happen as messages arrive (a case looks its rule up when its message is taken), so the
    // traffic is produced in slices: one before the faults, one during each fault phase (in three
    // bursts), one after the recovery. Each phase lasts 36 s: longer than the circuit breaker's 30 s
    // open time, so every failure mode is met by real HTTP calls, not only by the open circuit.
    const slices = splitInto(scenario.messages, 5);
    await scenario.produce(slices[0]);
    const p = scenario.startService('a');
    scenario.timings.join_ms = await scenario.waitJoined(p);
    await scenario.waitForCases(Math.floor(slices[0]!.filter((m) => m.valid).length * 0.8));
    const phases = [
      { fault: 'config 5xx', mode: { mode: 'error', status: 503 } as const },
      { fault: 'config timeout', mode: { mode: 'timeout' } as const },
      { fault: 'config garbage', mode: { mode: 'malformed' } as const },
    ];
    for (const [i, phase] of phases.entries()) {
      const before = scenario.stub.state().requests;
      const cases = await scenario.casesCount();
      await scenario.fault(phase.fault, `from ${cases} cases; ${slices[i + 1]!.length} messages produced during the phase`, async () => {
        scenario.stub.setMode(phase.mode);
        for (const burst of splitInto(slices[i + 1]!, 3)) {
          await scenario.produce(burst);
          await sleep(12_000);
        }
      });
      scenario.observations[`${phase.fault}: requests to the stub`] = scenario.stub.state().requests - before;
    }
    scenario.stub.setMode('normal');
    scenario.recordFault('config recovered', `normal answers again from ${await scenario.casesCount()} cases`);
    await scenario.produce(slices[4]);
    const tRecovered = Date.now();
    // the probe comes after the circuit breaker's open time: its lookup must reach the recovered service
    const result = await scenario.finish({ alive: [p], beforeProbe: () => sleep(Math.max(0, 31_000 - (Date.now() - tRecovered))) });
    scenario.timings.finish_after_recovery_s = round((Date.now() - tRecovered) / 1000);
    expectInvariants(result);
    // the faults really reached cases: some lookups failed and were recorded for a retry
    expect(result.counts.notifications.coveredByLookupFailure, 'cases whose failed lookup was recorded').to.be.greaterThan(0);
    // after the recovery, lookups work again: the probe case is notified once and has no failure recorded
    const probe = scenario.probe!;
    const probeNotifications = await scenario.db
      .collection('domain_events')
      .countDocuments({ aggregate_id: probe.caseId, event_type: 'NotificationRequired' });
    const probeFailures = await scenario.db.collection('notification_lookup_failures').countDocuments({ case_id: probe.caseId });
    scenario.observations.probe_after_recovery = { notifications: probeNotifications, lookup_failures: probeFailures };
    expect(probeNotifications, 'NotificationRequired of the case created after the recovery').to.equal(1);
    expect(probeFailures, 'lookup failures of the case created after the recovery').to.equal(0);

    scenario.observations.notifications_before_retry = result.counts.notifications;
    // the operator's part: retry the failed lookups now that the service answers; the running
    // service handles the retry commands in each case's actor
    const tRetry = Date.now();
    const retry = await scenario.runCli(['notifications', 'retry', '--wait-ms', '600000']);
    scenario.timings.notifications_retry_s = round((Date.now() - tRetry) / 1000);
    scenario.observations.notifications_retry = { exit_code: retry.code, summary: retry.stdout.trim().split('\n').at(-1) };
    expect(retry.code, `casestream notifications retry: ${retry.stderr.slice(-2000)}`).to.equal(0);
    const again = await scenario.runCli(['notifications', 'retry']);
    expect(again.stdout.trim(), 'a second retry run').to.equal('no failed rule lookups to retry');
    await scenario.stopAll();
    const afterRetry = await scenario.checkNow(60_000, { allowLookupFailures: false });
    expectInvariants(afterRetry);
    expect(afterRetry.counts.notifications.openLookupFailures, 'open lookup failures after the retry').to.equal(0);
    expect(afterRetry.counts.notifications.exactlyOne, 'matched cases notified exactly once after the retry').to.equal(
      afterRetry.counts.notifications.expected,
    );
    scenario.passed = true;
  });
});
