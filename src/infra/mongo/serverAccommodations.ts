/**
 * What the MongoDB adapters do differently on FerretDB v1, decided once per connection (see
 * connectMongo and DB_SERVER_MODE). docs/ferretdb.md explains each accommodation with its
 * measurements; the ones that are the same code on both servers live where they act:
 * - appends are inserts whose unique `_id` `<aggregate_id>:<version>` is the atomic check (eventStore.ts);
 * - bulk updates go in chunks of 50, since a larger update command never answers (updateChunks.ts);
 * - null and empty-array values are written with `$max`, since `$setOnInsert` drops them (readModelStore.ts);
 * - indexes are created one at a time (indexes.ts);
 * - a replay renames the old collection aside, since `renameCollection` has no `dropTarget` (replay/replayCollections.ts);
 * - notifications are acknowledged by deleting from the small outbox, not by flagging events (eventStore.ts).
 */
export interface ServerAccommodations {
  /**
   * Where read-model guards are checked: in the update filter (MongoDB), or by casestream against
   * the documents it reads first, updating by `_id` alone (FerretDB, where any filter but an exact
   * `_id` decodes every document of the collection).
   */
  readonly guards: 'server' | 'client';
  /** Create only the indexes that enforce a constraint (FerretDB uses no secondary index, so others only cost inserts). */
  readonly constraintsOnly: boolean;
  /**
   * Whether expired records are left to TTL indexes (MongoDB) or deleted by casestream's sweep
   * (FerretDB v1.24 refuses `expireAfterSeconds`: "not implemented yet", code 238). A server that
   * refuses a TTL index all the same gets the sweep for that collection (see retention.ts).
   */
  readonly ttlIndexes: boolean;
}

export const accommodationsFor = (ferretdb: boolean): ServerAccommodations =>
  ferretdb
    ? { guards: 'client', constraintsOnly: true, ttlIndexes: false }
    : { guards: 'server', constraintsOnly: false, ttlIndexes: true };
