import type { DrivenMessage } from './messages.js';
import type { FaultScenario } from './scenario.js';

/**
 * Produces the scenario's messages in their order: light ones in batches of 50, each broken one of
 * a `heavy` kind alone (a batch holding it would pass the broker's 1 MiB limit).
 */
export const produceInBatches = async (scenario: FaultScenario, heavy: ReadonlySet<string>): Promise<void> => {
  let batch: DrivenMessage[] = [];
  for (const m of scenario.messages) {
    if (!m.valid && heavy.has(m.name)) {
      await scenario.produce(batch);
      batch = [];
      await scenario.produce([m]);
    } else batch.push(m);
    if (batch.length >= 50) {
      await scenario.produce(batch);
      batch = [];
    }
  }
  await scenario.produce(batch);
};
