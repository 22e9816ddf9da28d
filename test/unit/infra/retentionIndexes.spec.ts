import { expect } from 'chai';
import type { Db, Document } from 'mongodb';
import { prepareExpiry, retentionTargets, TTL_INDEX, ttlSeconds, type RetentionTarget } from '../../../src/infra/mongo/retention.js';
import { decodeSettings } from '../../../src/infra/settings.js';

const serverError = (code: number, message: string) => Object.assign(new Error(message), { name: 'MongoServerError', code });

/** A database that keeps index definitions and records what casestream asks of it. */
class FakeDb {
  readonly indexes = new Map<string, Document[]>();
  readonly asked: string[] = [];
  refuseTtl: Error | undefined;

  collection(name: string) {
    return {
      listIndexes: () => ({
        toArray: async () => {
          const list = this.indexes.get(name);
          if (list === undefined) throw serverError(26, `ns does not exist: db.${name}`);
          return list;
        },
      }),
      createIndex: async (key: Document, options: Document) => {
        this.asked.push(`create ${name} ${JSON.stringify(key)} ${JSON.stringify(options)}`);
        if (this.refuseTtl && options['expireAfterSeconds'] !== undefined) throw this.refuseTtl;
        this.indexes.set(name, [...(this.indexes.get(name) ?? []), { key, ...options }]);
        return options['name'];
      },
      dropIndex: async (index: string) => {
        this.asked.push(`drop ${name} ${index}`);
        this.indexes.set(
          name,
          (this.indexes.get(name) ?? []).filter((i) => i['name'] !== index),
        );
      },
    };
  }

  async command(cmd: Document) {
    this.asked.push(`command ${JSON.stringify(cmd)}`);
    const index = (this.indexes.get(cmd['collMod']) ?? []).find((i) => i['name'] === cmd['index'].name);
    if (index) index['expireAfterSeconds'] = cmd['index'].expireAfterSeconds;
    return { ok: 1 };
  }
}

const asDb = (fake: FakeDb) => fake as unknown as Db;
const DAY = 86_400_000;
const raw = (maxAgeMs: number | null): RetentionTarget => ({ collection: 'raw_events', field: 'processed_at', maxAgeMs });

describe('retention: TTL indexes or the sweep', () => {
  it('expires raw copies by processed_at, command results by completed_at, resolved lookup failures by resolved_at, keys by created_at', () => {
    const settings = decodeSettings({});
    if (settings._tag === 'Left') throw new Error(settings.left);
    expect(retentionTargets(settings.right.retention)).to.deep.equal([
      { collection: 'raw_events', field: 'processed_at', maxAgeMs: 30 * DAY },
      { collection: 'command_results', field: 'completed_at', maxAgeMs: 90 * DAY },
      { collection: 'notification_lookup_failures', field: 'resolved_at', only: { status: 'resolved' }, maxAgeMs: 90 * DAY },
      { collection: 'api_idempotency', field: 'created_at', maxAgeMs: 30 * DAY },
    ]);
  });

  it('on MongoDB creates one TTL index per collection, in whole seconds rounded up, partial where only some records expire', async () => {
    const db = new FakeDb();
    const lookups: RetentionTarget = {
      collection: 'notification_lookup_failures',
      field: 'resolved_at',
      only: { status: 'resolved' },
      maxAgeMs: 2_500,
    };
    const expiries = await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(30 * DAY), lookups]);
    expect(expiries.map((e) => e.by)).to.deep.equal(['ttl-index', 'ttl-index']);
    expect(db.asked).to.deep.equal([
      `create raw_events {"processed_at":1} {"name":"${TTL_INDEX}","expireAfterSeconds":2592000}`,
      `create notification_lookup_failures {"resolved_at":1} {"name":"${TTL_INDEX}","expireAfterSeconds":3,"partialFilterExpression":{"status":"resolved"}}`,
    ]);
    expect(ttlSeconds(1)).to.equal(1);
  });

  it('changes the period of an existing TTL index in place, leaves an unchanged one alone, and drops it for forever', async () => {
    const db = new FakeDb();
    await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(30 * DAY)]);
    db.asked.length = 0;
    await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(30 * DAY)]);
    expect(db.asked).to.deep.equal([]);
    await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(7 * DAY)]);
    expect(db.asked).to.deep.equal([`command {"collMod":"raw_events","index":{"name":"${TTL_INDEX}","expireAfterSeconds":604800}}`]);
    const kept = await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(null)]);
    expect(kept.map((e) => e.by)).to.deep.equal(['never']);
    expect(db.asked.slice(1)).to.deep.equal([`drop raw_events ${TTL_INDEX}`]);
    expect(db.indexes.get('raw_events')).to.deep.equal([]);
  });

  it('recreates a TTL index that counts from another field', async () => {
    const db = new FakeDb();
    db.indexes.set('raw_events', [{ name: TTL_INDEX, key: { received_at: 1 }, expireAfterSeconds: 60 }]);
    await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(60_000)]);
    expect(db.asked).to.deep.equal([
      `drop raw_events ${TTL_INDEX}`,
      `create raw_events {"processed_at":1} {"name":"${TTL_INDEX}","expireAfterSeconds":60}`,
    ]);
  });

  it('on FerretDB asks for no TTL index and sweeps; a period of forever is neither indexed nor swept', async () => {
    const db = new FakeDb();
    const expiries = await prepareExpiry(asDb(db), { ttlIndexes: false }, [raw(60_000), { ...raw(null), collection: 'api_idempotency' }]);
    expect(expiries).to.deep.equal([
      { target: raw(60_000), by: 'sweep', because: 'FerretDB' },
      { target: { ...raw(null), collection: 'api_idempotency' }, by: 'never' },
    ]);
    expect(db.asked).to.deep.equal([]);
  });

  it('sweeps a collection whose server refuses the TTL index as not implemented, and fails the start on any other error', async () => {
    const db = new FakeDb();
    db.refuseTtl = serverError(238, 'Index option "expireAfterSeconds" is not implemented yet');
    const [expiry] = await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(60_000)]);
    expect(expiry).to.deep.include({
      by: 'sweep',
      because: 'the server refused a TTL index: Index option "expireAfterSeconds" is not implemented yet',
    });

    db.refuseTtl = serverError(13, 'not authorized on db to execute command createIndexes');
    await prepareExpiry(asDb(db), { ttlIndexes: true }, [raw(60_000)]).then(
      () => expect.fail('should have failed'),
      (error: Error) => expect(error.message).to.match(/not authorized/),
    );
  });
});
