import { createMongoEventStore, eventsCollection, fromEventDocument } from '../../../src/infra/mongo/eventStore.js';
import { createMongoReadModelStore, type ReadModelDocument } from '../../../src/infra/mongo/readModelStore.js';
import { eventStoreContract, notificationOutboxContract } from '../../contract/eventStoreContract.js';
import { readModelStoreContract } from '../../contract/readModelStoreContract.js';
import { forEachServerMode, guardsOf, useTestDatabase } from './support.js';

// The MongoDB adapters against the contracts the in-memory stores keep too (test/unit/contracts);
// adapter-specific behaviour (batching, races between clients, document shape) is in their own specs.
forEachServerMode((mode) =>
  describe(`MongoDB stores (integration, ${mode} path)`, function () {
    this.timeout(60_000);

    describe('event store', () => {
      const t = useTestDatabase('contract_events', mode);
      eventStoreContract('MongoEventStore', async () => ({
        store: createMongoEventStore(t.db),
        stream: async (aggregate_id) =>
          (
            await eventsCollection(t.db)
              .find({ aggregate_id }, { sort: { version: 1 } })
              .toArray()
          ).map(fromEventDocument),
      }));
      notificationOutboxContract('MongoEventStore', async () => createMongoEventStore(t.db));
    });

    describe(`read-model store (guards checked by the ${guardsOf(mode)})`, () => {
      const t = useTestDatabase('contract_readmodels', mode);
      readModelStoreContract('MongoReadModelStore', async () => ({
        store: createMongoReadModelStore(t.db, { guards: guardsOf(mode) }),
        read: async (collection, id) =>
          (await t.db.collection<ReadModelDocument>(collection).findOne({ _id: id }, { projection: { _id: 0 } })) ?? undefined,
      }));
    });
  }),
);
