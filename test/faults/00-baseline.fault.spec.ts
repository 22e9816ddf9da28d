import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario, round } from './support/scenario.js';

// No fault: the same traffic and checks as every fault scenario, to measure the stack's throughput
// and prove the harness (a violation here is not caused by a fault).
describe('fault suite 00: baseline without a fault', function () {
  this.timeout(60 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);

  it('turns every valid message into exactly one case, notifies matched cases once, dead-letters every invalid one', async () => {
    s = await FaultScenario.create({ name: '00-baseline', title: 'no fault (throughput reference)', valid: faultMessages() });
    await s.produce();
    const p = s.startService('a');
    s.timings.join_ms = await s.waitJoined(p);
    const t0 = Date.now();
    await s.waitForCases(s.valid.length);
    s.timings.processing_s = round((Date.now() - t0) / 1000);
    s.observations.throughput_msgs_per_s = round(s.messages.length / ((Date.now() - t0) / 1000));
    const result = await s.finish({ alive: [p] });
    await s.stopAll();
    expectInvariants(result);
    s.passed = true;
  });
});
