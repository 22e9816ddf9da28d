import { MemoryPorts } from '../../../bench/operators/memoryPorts.js';
import { eventStoreContract } from '../../contract/eventStoreContract.js';
import { readModelStoreContract } from '../../contract/readModelStoreContract.js';
import { FakePorts } from '../../support/fakePorts.js';

// The in-memory stores against the contracts the MongoDB adapters keep (test/integration/mongo/storeContracts.int.spec.ts).
eventStoreContract('FakePorts', async () => {
  const fake = new FakePorts();
  return { store: fake.ports.eventStore, stream: async (aggregate_id) => fake.stream(aggregate_id) };
});

eventStoreContract("the operator benchmark's MemoryPorts", async () => {
  const memory = new MemoryPorts({});
  return { store: memory.ports.eventStore, stream: async (aggregate_id) => memory.stream(aggregate_id) };
});

readModelStoreContract('FakePorts', async () => {
  const fake = new FakePorts();
  return { store: fake.ports.readModels, read: async (collection, id) => structuredClone(fake.readModels.get(collection, id)) };
});
