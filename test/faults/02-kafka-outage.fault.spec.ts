import { sleep } from '../support/stack.js';
import { expectInvariants, scenarioHooks } from './support/expectations.js';
import { faultMessages, FaultScenario, round } from './support/scenario.js';
import { startServer, stopServer } from './support/stackControl.js';

// Fault 2: the Kafka broker is stopped for 10 s mid-run, then started again. Three quarters of the
// messages are produced before; the rest is produced while the broker is away (the test producer
// retries until it is back), so the consumer, the service's producer (notifications, dead
// letters, the outbox relay) and offset commits all meet the outage.
describe('fault suite 02: Kafka broker down for 10 s mid-run', function () {
  this.timeout(90 * 60_000);
  let s: FaultScenario | undefined;
  scenarioHooks(() => s);

  it('resumes after the broker returns, loses nothing, duplicates nothing, and keeps consuming', async () => {
    s = await FaultScenario.create({ name: '02-kafka-outage', title: 'Kafka broker stopped 10 s mid-run', valid: faultMessages() });
    const scenario = s;
    const split = Math.floor(scenario.messages.length * 0.75);
    await scenario.produce(scenario.messages.slice(0, split));
    const p = scenario.startService('a');
    scenario.timings.join_ms = await scenario.waitJoined(p);
    await scenario.waitForCases(Math.floor(scenario.valid.length * 0.3));
    const casesBefore = await scenario.casesCount();
    let late: Promise<void> | undefined;
    await scenario.fault(
      'kafka down',
      `broker stopped with ${casesBefore} of ${scenario.valid.length} cases; 10 s down, then started`,
      async () => {
        const t0 = Date.now();
        await stopServer('kafka');
        scenario.timings.kafka_stop_s = round((Date.now() - t0) / 1000);
        // the rest of the traffic is produced while the broker is away
        late = scenario.produce(scenario.messages.slice(split));
        late.catch(() => undefined);
        await sleep(10_000);
        const t1 = Date.now();
        await startServer('kafka');
        scenario.timings.kafka_start_s = round((Date.now() - t1) / 1000);
      },
    );
    await late;
    scenario.observations.cases_when_broker_stopped = casesBefore;
    await scenario.waitFirstProgress();
    const result = await scenario.finish({ alive: [p] });
    await scenario.stopAll();
    expectInvariants(result);
    scenario.passed = true;
  });
});
