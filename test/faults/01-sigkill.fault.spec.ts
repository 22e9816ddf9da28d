import { expect } from 'chai';
import { sleep } from '../support/stack.js';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario, round } from './support/scenario.js';
import type { ServiceProcess } from './support/serviceProcess.js';

// Fault 1: the service is killed with SIGKILL at random moments, five times, and restarted at once.
// Four kills happen mid-processing (at seeded random progress points, plus a random delay), one
// during startup of a freshly restarted instance. A killed member stays in the consumer group
// until its session times out (30 s), so each restart waits up to that long for its partitions.
describe('fault suite 01: SIGKILL five times, restart each time', function () {
  this.timeout(90 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);

  it('loses nothing, duplicates nothing, and keeps consuming', async () => {
    s = await FaultScenario.create({
      name: '01-sigkill',
      title: 'SIGKILL ×5 at random moments, restarted each time',
      valid: faultMessages(),
    });
    const scenario = s;
    const r = scenario.prng.fork();
    await scenario.produce();
    let current: ServiceProcess = scenario.startService('a');
    const total = scenario.valid.length;
    // progress points (share of valid messages turned into cases) for the four mid-run kills
    const points = Array.from({ length: 4 }, () => 0.08 + r.next() * 0.8).sort((a, b) => a - b);
    const startupKill = r.int(1, 3); // which restart gets killed again during its startup
    let restart = 0;
    let casesAtLastKill = 0;
    const kill = async (why: string) => {
      const cases = await scenario.casesCount().catch(() => -1);
      casesAtLastKill = Math.max(casesAtLastKill, cases);
      const exit = await scenario.fault('SIGKILL', `${why}; ${cases} of ${total} cases; pid ${current.pid}`, () => current.kill());
      expect(exit.signal).to.equal('SIGKILL');
      restart += 1;
      current = scenario.startService('a');
    };
    for (const [i, point] of points.entries()) {
      // each mid-run kill hits an instance that is processing: it has made progress since its restart
      await scenario.waitForCases(
        Math.min(total, Math.max(Math.floor(total * point), casesAtLastKill + Math.max(3, Math.floor(total * 0.03)))),
      );
      await sleep(r.int(0, 2500));
      await kill(`mid-run at ${Math.round(point * 100)}% progress`);
      if (restart === startupKill) {
        await sleep(r.int(300, 3000));
        await kill(`during startup, ${round((Date.now() - current.startedAt) / 1000)}s after restart ${restart}`);
      }
      scenario.observations[`kill_${i + 1}_point`] = round(point);
    }
    scenario.timings.rejoin_after_last_kill_ms = await scenario.waitJoined(current, 180_000);
    const result = await scenario.finish({ alive: [current] });
    await scenario.stopAll();
    expect(scenario.faults.filter((f) => f.fault === 'SIGKILL')).to.have.length(5);
    expectInvariants(result);
    scenario.passed = true;
  });
});
