import { expect } from 'chai';
import { Collection } from 'mongodb';
import { firstValueFrom } from 'rxjs';
import sinon from 'sinon';
import { createMongoRawEventLog, RAW_EVENTS_COLLECTION } from '../../../src/infra/mongo/rawEventLog.js';
import type { RawEventEntry, RawEventLog } from '../../../src/streams/ports.js';
import { documentsOf, freshId, T0, useTestDatabase } from './support.js';

describe('MongoRawEventLog (integration)', function () {
  this.timeout(60_000);
  const t = useTestDatabase('raw');
  let clock = new Date('2026-02-01T12:00:00.000Z');
  let log: RawEventLog;
  const record = (entry: RawEventEntry, l: RawEventLog = log) => firstValueFrom(l.record(entry));
  const stored = (id: string) => documentsOf(t.db, RAW_EVENTS_COLLECTION, { id });
  const entry = (id: string, patch: Partial<RawEventEntry> = {}): RawEventEntry => ({
    id,
    payload: { client_id: 'client-1', persons: [{ firstname: 'Ada' }] },
    received_at: T0,
    status: 'processed',
    ...patch,
  });

  before(() => {
    log = createMongoRawEventLog(t.db, { now: () => clock });
  });
  afterEach(() => sinon.restore());

  it('keeps a client message as received, with how it ended', async () => {
    const id = freshId('raw');

    await record(entry(id));

    expect(await stored(id)).to.deep.equal([
      {
        id,
        event_type: 'KAFKA_MESSAGE_RAW_STORED',
        payload: { client_id: 'client-1', persons: [{ firstname: 'Ada' }] },
        received_at: T0,
        processed_at: clock,
        status: 'processed',
      },
    ]);
  });

  it('keeps a rejected message with its rejection', async () => {
    const id = freshId('rejected');
    const error = { reason: 'invalid client data message: $.persons is required', details: [{ path: '$.persons', rule: 'is required' }] };

    await record(entry(id, { status: 'rejected', error }));

    expect((await stored(id))[0]).to.include({ status: 'rejected' });
    expect((await stored(id))[0]?.error).to.deep.equal(error);
  });

  it('is idempotent per id: a second record keeps what was received first and updates how it ended', async () => {
    const id = freshId('again');
    await record(entry(id, { status: 'rejected', error: { reason: 'boom', details: [] } }));
    clock = new Date(clock.getTime() + 60_000);

    await record(entry(id, { payload: { changed: true }, received_at: new Date(T0.getTime() + 5), status: 'processed' }));
    await record(entry(id, { payload: { changed: true }, received_at: new Date(T0.getTime() + 5), status: 'processed' }));

    expect(await stored(id)).to.deep.equal([
      {
        id,
        event_type: 'KAFKA_MESSAGE_RAW_STORED',
        payload: { client_id: 'client-1', persons: [{ firstname: 'Ada' }] },
        received_at: T0,
        processed_at: clock,
        status: 'processed',
      },
    ]);
  });

  it('leaves the entry of a redelivery that ended as before untouched, without an update', async () => {
    const id = freshId('redelivered');
    await record(entry(id));
    const first = await stored(id);
    clock = new Date(clock.getTime() + 60_000);
    const bulkWrite = sinon.spy(Collection.prototype, 'bulkWrite');

    await record(entry(id));

    // insertMany goes through bulkWrite too: count the update operations
    expect(bulkWrite.getCalls().flatMap((c) => (c.args[0] as object[]).filter((op) => 'updateOne' in op))).to.deep.equal([]);
    expect(await stored(id)).to.deep.equal(first);
  });

  it('records many concurrent messages with one insertMany, each once', async () => {
    const insertMany = sinon.spy(Collection.prototype, 'insertMany');
    const ids = Array.from({ length: 50 }, () => freshId('many'));

    await Promise.all([...ids, ...ids.slice(0, 10)].map((id) => record(entry(id))));

    expect(insertMany.callCount).to.equal(1);
    expect(await t.db.collection(RAW_EVENTS_COLLECTION).countDocuments({ id: { $in: ids } })).to.equal(50);
  });

  it('records the same message from two writers (two MongoClients) at once exactly once', async () => {
    const other = await t.connectAnother();
    const logB = createMongoRawEventLog(other.db, { now: () => clock });
    const ids = Array.from({ length: 30 }, () => freshId('race'));

    await Promise.all(ids.flatMap((id) => [record(entry(id)), record(entry(id), logB)]));

    expect(await t.db.collection(RAW_EVENTS_COLLECTION).countDocuments({ id: { $in: ids } })).to.equal(30);
  });
});
