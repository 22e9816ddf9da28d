import { sleep } from '../support/stack.js';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario, round } from './support/scenario.js';
import { startServer, stopServer } from './support/stackControl.js';

// Fault 3: the MongoDB-wire server (FerretDB) is stopped for 10 s mid-run, then started again.
// Appends, read-model writes, raw events, publication marks and the outbox relay all fail for a
// while; casestream must retry with backoff and lose nothing.
describe('fault suite 03: MongoDB-wire server down for 10 s mid-run', function () {
  this.timeout(90 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);

  it('resumes after the database returns, loses nothing, duplicates nothing, and keeps consuming', async () => {
    s = await FaultScenario.create({ name: '03-mongo-outage', title: 'MongoDB-wire server stopped 10 s mid-run', valid: faultMessages() });
    const scenario = s;
    await scenario.produce();
    const p = scenario.startService('a');
    scenario.timings.join_ms = await scenario.waitJoined(p);
    await scenario.waitForCases(Math.floor(scenario.valid.length * 0.3));
    const casesBefore = await scenario.casesCount();
    await scenario.fault(
      'mongo down',
      `FerretDB stopped with ${casesBefore} of ${scenario.valid.length} cases; 10 s down, then started`,
      async () => {
        const t0 = Date.now();
        await stopServer('mongo');
        scenario.timings.mongo_stop_s = round((Date.now() - t0) / 1000);
        await sleep(10_000);
        const t1 = Date.now();
        await startServer('mongo');
        scenario.timings.mongo_start_s = round((Date.now() - t1) / 1000);
      },
    );
    scenario.observations.cases_when_db_stopped = casesBefore;
    await scenario.waitFirstProgress();
    const result = await scenario.finish({ alive: [p] });
    await scenario.stopAll();
    expectInvariants(result);
    scenario.passed = true;
  });
});
