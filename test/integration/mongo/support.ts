import { randomBytes } from 'node:crypto';
import type { Db, Document } from 'mongodb';
import { connectMongo, ensureIndexes, type MongoConnection, type ServerMode } from '../../../src/infra/mongo/connect.js';
import { accommodationsFor } from '../../../src/infra/mongo/serverAccommodations.js';

export const MONGO_URI = process.env.MONGO_DETAILS ?? 'mongodb://127.0.0.1:27017';

export interface TestDatabase {
  /** The connection of this test file (set in `before`). */
  connection: MongoConnection;
  readonly db: Db;
  readonly dbName: string;
  /** A second, independent connection to the same database (a second process, for races). */
  connectAnother(): Promise<MongoConnection>;
}

/** The two code paths of the adapters: each is run against the local stack's server (FerretDB). */
export const SERVER_MODES = ['mongodb', 'ferretdb'] as const satisfies readonly ServerMode[];
export type ForcedServerMode = (typeof SERVER_MODES)[number];

/**
 * Declares a suite once per server path (DB_SERVER_MODE forced), so that MongoDB's path is tested
 * too, not only the FerretDB one the local stack would pick.
 */
export const forEachServerMode = (suite: (mode: ForcedServerMode) => void): void => {
  for (const mode of SERVER_MODES) suite(mode);
};

/** The read-model guards each path uses (see MongoReadModelStoreOptions.guards). */
export const guardsOf = (mode: ForcedServerMode): 'server' | 'client' => accommodationsFor(mode === 'ferretdb').guards;

/**
 * A fresh database with every index for the current describe block: random name, created in
 * `before`, dropped in `after`; connected with `serverMode` (default auto: the server's own path).
 */
export const useTestDatabase = (label: string, serverMode: ServerMode = 'auto'): TestDatabase => {
  const dbName = `casestream_it_${label}_${randomBytes(4).toString('hex')}`;
  const extra: MongoConnection[] = [];
  const t = {
    connection: undefined as unknown as MongoConnection,
    get db(): Db {
      return t.connection.db;
    },
    dbName,
    connectAnother: async () => {
      const c = await connectMongo({ uri: MONGO_URI, dbName, appName: `casestream-it-${label}-2`, serverMode });
      extra.push(c);
      return c;
    },
  };
  before(async function () {
    this.timeout(30_000);
    t.connection = await connectMongo({ uri: MONGO_URI, dbName, appName: `casestream-it-${label}`, serverMode });
    await ensureIndexes(t.connection);
  });
  after(async function () {
    this.timeout(30_000);
    await Promise.all(extra.map((c) => c.close()));
    if (t.connection) {
      await t.connection.db.dropDatabase();
      await t.connection.close();
    }
  });
  return t;
};

export const T0 = new Date('2026-01-05T09:00:00.000Z');

export { freshId, personEvent, personEvents } from '../../contract/fixtures.js';

/** Documents of a collection without `_id`, sorted by the given key. */
export const documentsOf = async (db: Db, collection: string, filter: Document = {}, sort: Document = { id: 1 }) =>
  db
    .collection(collection)
    .find(filter, { projection: { _id: 0 }, sort })
    .toArray();
