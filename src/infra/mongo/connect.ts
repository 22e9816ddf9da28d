import { MongoClient, type Db } from 'mongodb';
import { ensureEventStoreIndexes } from './eventStore.js';
import type { IndexOptions } from './indexes.js';
import { ensureLookupFailureIndexes } from './lookupFailures.js';
import { ensureRawEventLogIndexes } from './rawEventLog.js';
import { ensureReadModelIndexes } from './readModelStore.js';
import { accommodationsFor, type ServerAccommodations } from './serverAccommodations.js';

export interface MongoConnectionOptions {
  /** e.g. `mongodb://127.0.0.1:27017` (env MONGO_DETAILS). */
  readonly uri: string;
  readonly dbName: string;
  /** Shown in the server's logs and currentOp. */
  readonly appName: string;
  /** Connections per server (default 20); batching keeps the number of concurrent commands low. */
  readonly maxPoolSize?: number;
  /**
   * Which server's code path the adapters take (env DB_SERVER_MODE): `auto` (default) the detected
   * one; `mongodb` or `ferretdb` force it, so that either path can be run against any server.
   */
  readonly serverMode?: ServerMode;
}

export type ServerMode = 'auto' | 'mongodb' | 'ferretdb';

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
  /**
   * The adapters take FerretDB's path (some writes take a cheaper form there): the server says it
   * is FerretDB in buildInfo, or DB_SERVER_MODE forces it.
   */
  readonly ferretdb: boolean;
  /** What the adapters do differently on this server. */
  readonly accommodations: ServerAccommodations;
  close(): Promise<void>;
}

/**
 * Connects and checks the server answers (so a wrong URI fails at startup, within
 * serverSelectionTimeoutMS, rather than on the first write), and which server it is.
 *
 * `ignoreUndefined`: optional fields left undefined are not stored (instead of as null), so an
 * event reads back exactly as it was appended.
 */
export const connectMongo = async (options: MongoConnectionOptions): Promise<MongoConnection> => {
  const client = new MongoClient(options.uri, {
    appName: options.appName,
    maxPoolSize: options.maxPoolSize ?? 20,
    minPoolSize: 0,
    maxIdleTimeMS: 60_000,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    socketTimeoutMS: 60_000,
    heartbeatFrequencyMS: 10_000,
    ignoreUndefined: true,
  });
  await client.connect();
  try {
    const db = client.db(options.dbName);
    const mode = options.serverMode ?? 'auto';
    const ferretdb = mode === 'auto' ? await isFerretDB(db) : mode === 'ferretdb';
    return { client, db, ferretdb, accommodations: accommodationsFor(ferretdb), close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
};

/** Whether the server is FerretDB: it says so in buildInfo (`ferretdbVersion`). */
export const isFerretDB = async (db: Db): Promise<boolean> =>
  typeof (await db.admin().command({ buildInfo: 1 }))['ferretdbVersion'] === 'string';

/**
 * Creates every index casestream relies on (idempotent; run at startup; one index at a time, see
 * ensureIndexList); on FerretDB only the constraints (see IndexOptions).
 */
export const ensureIndexes = async (connection: Pick<MongoConnection, 'db' | 'accommodations'>): Promise<void> => {
  const options: IndexOptions = { constraintsOnly: connection.accommodations.constraintsOnly };
  await ensureEventStoreIndexes(connection.db, options);
  await ensureReadModelIndexes(connection.db, '', options);
  await ensureRawEventLogIndexes(connection.db, options);
  await ensureLookupFailureIndexes(connection.db, options);
};
