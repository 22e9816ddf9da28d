import { expect } from 'chai';
import { connectMongo, ensureIndexes } from '../../../src/infra/mongo/connect.js';
import { accommodationsFor } from '../../../src/infra/mongo/serverAccommodations.js';
import { MONGO_URI, useTestDatabase } from './support.js';

const indexesOf = async (t: ReturnType<typeof useTestDatabase>, collection: string) =>
  (await t.db.collection(collection).listIndexes().toArray())
    .map((i) => ({ key: i.key as Record<string, number>, unique: i.unique === true }))
    .sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));

describe('connectMongo and ensureIndexes (integration)', function () {
  this.timeout(60_000);
  const t = useTestDatabase('connect');

  it('creates every index, and creating them again changes nothing', async () => {
    const before = await indexesOf(t, 'domain_events');
    await ensureIndexes(t.connection);
    await ensureIndexes(t.connection);

    expect(await indexesOf(t, 'domain_events')).to.deep.equal(before);
    const all = { db: t.db, accommodations: accommodationsFor(false) };
    await ensureIndexes(all);
    expect(await indexesOf(t, 'domain_events')).to.deep.include.members([
      { key: { event_id: 1 }, unique: true },
      { key: { aggregate_id: 1, version: 1 }, unique: true },
    ]);
    expect(await indexesOf(t, 'notification_outbox')).to.deep.include.members([{ key: { aggregate_id: 1, version: 1 }, unique: false }]);
    for (const name of ['cases', 'persons', 'companies', 'beneficial_owners', 'document_requirements', 'raw_events']) {
      expect(await indexesOf(t, name), name).to.deep.include({ key: { id: 1 }, unique: true });
    }
    expect(await indexesOf(t, 'cases')).to.deep.include({ key: { created_at: -1 }, unique: false });
    expect(await indexesOf(t, 'persons')).to.deep.include({ key: { case_id: 1 }, unique: false });
    expect(await indexesOf(t, 'beneficial_owners')).to.deep.include({ key: { company_id: 1 }, unique: false });
    expect(await indexesOf(t, 'document_requirements')).to.deep.include({
      key: { case_id: 1, entity_id: 1, status: 1 },
      unique: false,
    });
  });

  it('creates on FerretDB only the constraints, since its queries use no index', async () => {
    const t2 = await t.connectAnother();
    const db = t2.client.db(`${t.dbName}_constraints`);
    try {
      await ensureIndexes({ db, accommodations: accommodationsFor(true) });
      expect(await db.collection('domain_events').indexes()).to.have.length(2);
      expect((await db.collection('domain_events').indexes()).map((i) => i.key)).to.deep.include({ event_id: 1 });
      expect(
        await db
          .collection('cases')
          .indexes()
          .catch(() => []),
      ).to.have.length.below(2);
    } finally {
      await db.dropDatabase();
    }
  });

  it('fails within the server selection timeout when nothing listens at the URI', async () => {
    const started = Date.now();
    const error = await connectMongo({ uri: 'mongodb://127.0.0.1:1', dbName: 'nothing', appName: 'casestream-it' }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).to.be.instanceOf(Error);
    expect(Date.now() - started).to.be.below(15_000);
  });

  it('connects to the configured server and answers a ping', async () => {
    const c = await connectMongo({ uri: MONGO_URI, dbName: t.dbName, appName: 'casestream-it' });
    try {
      expect(await c.db.command({ ping: 1 })).to.include({ ok: 1 });
    } finally {
      await c.close();
    }
  });

  it('takes the path DB_SERVER_MODE forces, whatever the server says', async () => {
    for (const [serverMode, ferretdb] of [
      ['mongodb', false],
      ['ferretdb', true],
      ['auto', true],
    ] as const) {
      const c = await connectMongo({ uri: MONGO_URI, dbName: t.dbName, appName: 'casestream-it', serverMode });
      try {
        expect(c.ferretdb, serverMode).to.equal(ferretdb);
      } finally {
        await c.close();
      }
    }
  });

  it('creates every index on the MongoDB path, on FerretDB too', async () => {
    const c = await connectMongo({ uri: MONGO_URI, dbName: `${t.dbName}_mongodb_path`, appName: 'casestream-it', serverMode: 'mongodb' });
    try {
      await ensureIndexes(c);
      expect((await c.db.collection('domain_events').indexes()).map((i) => i.name)).to.include.members([
        'event_id_unique',
        'aggregate_version_unique',
      ]);
      expect((await c.db.collection('cases').indexes()).map((i) => i.name)).to.include.members(['id_unique', 'created_at_desc']);
    } finally {
      await c.db.dropDatabase();
      await c.close();
    }
  });

  it("tells that the local stack's server is FerretDB", async () => {
    const c = await connectMongo({ uri: MONGO_URI, dbName: t.dbName, appName: 'casestream-it' });
    try {
      expect(c.ferretdb).to.equal(true);
    } finally {
      await c.close();
    }
  });
});
