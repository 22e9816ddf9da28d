import { expect } from 'chai';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario } from './support/scenario.js';
import { startServer, stopServer } from './support/stackControl.js';

// Fault 4: Redis (the rule cache) is stopped mid-run and stays down until the end of the scenario
// (the teardown starts it again). Rule lookups must go straight to the Configuration Service: no
// case may miss its notification because the cache is gone.
describe('fault suite 04: Redis stopped mid-run, stays down', function () {
  this.timeout(90 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);
  after(async () => {
    await startServer('redis');
  });

  it('notifies every matched case without the cache, loses nothing, and keeps consuming', async () => {
    // short rule freshness, so that lookups keep going out while Redis is away
    s = await FaultScenario.create({
      name: '04-redis-down',
      title: 'Redis stopped mid-run and left down',
      valid: faultMessages(),
      env: { CONFIG_CACHE_TTL_SECONDS: '1', CONFIG_CACHE_NEGATIVE_TTL_SECONDS: '1' },
    });
    const scenario = s;
    await scenario.produce();
    const p = scenario.startService('a');
    scenario.timings.join_ms = await scenario.waitJoined(p);
    await scenario.waitForCases(Math.floor(scenario.valid.length * 0.3));
    const casesBefore = await scenario.casesCount();
    const requestsBefore = scenario.stub.state().requests;
    await scenario.fault('redis down', `Redis stopped with ${casesBefore} of ${scenario.valid.length} cases; stays down`, () =>
      stopServer('redis'),
    );
    const result = await scenario.finish({ alive: [p] });
    scenario.observations.rule_requests_before_redis_stopped = requestsBefore;
    scenario.observations.rule_requests_total = scenario.stub.state().requests;
    await scenario.stopAll();
    expectInvariants(result);
    // the lookups really went to the service while Redis was down
    expect(scenario.stub.state().requests).to.be.greaterThan(requestsBefore);
    scenario.passed = true;
  });
});
