import { expect } from 'chai';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario, round } from './support/scenario.js';

// Fault 6: two instances in one consumer group; one is killed with SIGKILL mid-run. The survivor
// takes over the dead member's partitions once its session times out (30 s), and must finish
// everything: the killed instance's unfinished, uncommitted messages are redelivered to it.
describe('fault suite 06: two instances in one group, one killed mid-run', function () {
  this.timeout(90 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);

  it('the survivor takes over, nothing is lost or duplicated, and it keeps consuming', async () => {
    s = await FaultScenario.create({ name: '06-two-instances', title: 'two instances, one SIGKILLed mid-run', valid: faultMessages() });
    const scenario = s;
    const a = scenario.startService('a');
    const b = scenario.startService('b');
    scenario.timings.join_a_ms = await scenario.waitJoined(a);
    scenario.timings.join_b_ms = await scenario.waitJoined(b);
    scenario.timings.group_with_both_ms = await scenario.waitGroupMembers(2);
    // traffic only once both share the partitions, so both have work when b is killed
    await scenario.produce();
    // b is killed mid-work: once some cases exist and while some of b's messages are not committed.
    // (Waiting for a share of the cases first let a small run finish before the kill.)
    let backlog = await scenario.memberBacklog('b');
    const deadline = Date.now() + 60_000;
    while (!(backlog.uncommitted > 0 && (await scenario.casesCount()) > 0) && Date.now() < deadline)
      backlog = await scenario.memberBacklog('b');
    const casesBefore = await scenario.casesCount();
    scenario.observations.b_at_kill = backlog;
    await scenario.fault(
      'SIGKILL instance b',
      `with ${casesBefore} of ${scenario.valid.length} cases; b owned partitions ${backlog.partitions.join(',')} with ${backlog.uncommitted} uncommitted messages; pid ${b.pid}`,
      () => b.kill(),
    );
    const tKill = Date.now();
    scenario.timings.group_has_only_a_after_kill_s = round((await scenario.waitGroupMembers(1)) / 1000);
    const after = await scenario.memberBacklog('a');
    scenario.observations.a_after_takeover = after;
    const result = await scenario.finish({ alive: [a] });
    scenario.timings.finish_after_kill_s = round((Date.now() - tKill) / 1000);
    await scenario.stopAll();
    expect(b.exit?.signal).to.equal('SIGKILL');
    expect(backlog.uncommitted, 'b had unfinished work when it was killed').to.be.greaterThan(0);
    expect(after.partitions, 'a took over every partition').to.have.length(6);
    expectInvariants(result);
    scenario.passed = true;
  });
});
