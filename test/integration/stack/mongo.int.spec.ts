// Infra check: the local MongoDB-compatible server (FerretDB) enforces unique
// compound indexes the way the event store relies on. Requires `npm run stack:up`.
import { expect } from 'chai';
import { MongoClient, MongoServerError } from 'mongodb';
import type { Db } from 'mongodb';
import { MONGO_URL, uniqueName } from '../../support/stack.js';

describe('Local stack: MongoDB (FerretDB)', function () {
  this.timeout(30_000);

  let client: MongoClient;
  let db: Db;

  before(async () => {
    client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5000, directConnection: true });
    await client.connect();
    db = client.db(uniqueName('stack_test'));
  });

  after(async () => {
    if (!client) return;
    await db?.dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('answers ping', async () => {
    expect(await client.db('admin').command({ ping: 1 })).to.include({ ok: 1 });
  });

  it('rejects an insert that violates a unique compound index with duplicate-key error 11000', async () => {
    const events = db.collection('events');
    await events.createIndex({ case_id: 1, sequence: 1 }, { unique: true, name: 'case_sequence_unique' });

    await events.insertOne({ case_id: 'case-1', sequence: 1, type: 'CaseCreated' });
    await events.insertOne({ case_id: 'case-1', sequence: 2, type: 'DocumentRequested' });
    await events.insertOne({ case_id: 'case-2', sequence: 1, type: 'CaseCreated' });

    let error: unknown;
    try {
      await events.insertOne({ case_id: 'case-1', sequence: 2, type: 'Duplicate' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(MongoServerError);
    expect((error as MongoServerError).code).to.equal(11000);
    expect(await events.countDocuments({ case_id: 'case-1' })).to.equal(2);
  });
});
