import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { createMongoRawEventLog, RAW_EVENTS_COLLECTION } from '../../../src/infra/mongo/rawEventLog.js';
import { UnstorableInput, type RawEventEntry, type RawEventLog } from '../../../src/streams/ports.js';
import { documentsOf, freshId, T0, useTestDatabase } from './support.js';

/** More than MongoDB's 16 MiB document limit, which the driver enforces before sending (FerretDB v1 would store it). */
const OVER_16_MIB = 'x'.repeat(17 * 1_048_576);

describe('documents over 16 MiB (integration)', function () {
  this.timeout(60_000);
  const t = useTestDatabase('oversize');
  let log: RawEventLog;
  const entry = (id: string, payload: RawEventEntry['payload'] = { client_id: 'c' }): RawEventEntry => ({
    id,
    payload,
    received_at: T0,
    status: 'processed',
  });
  const record = (e: RawEventEntry) =>
    firstValueFrom(log.record(e), { defaultValue: undefined }).then(
      () => 'stored',
      (error: unknown) => error,
    );

  before(() => {
    log = createMongoRawEventLog(t.db);
  });

  it('refuses an oversize raw message as unstorable, while the messages batched with it are stored', async () => {
    const [big, small] = [freshId('big'), freshId('small')];
    const outcomes = await Promise.all([record(entry(small)), record(entry(big, { text: OVER_16_MIB })), record(entry(freshId('other')))]);

    expect(outcomes[1]).to.be.instanceOf(UnstorableInput);
    expect((outcomes[1] as Error).message).to.match(/larger than the maximum size|too large/);
    expect([outcomes[0], outcomes[2]]).to.deep.equal(['stored', 'stored']);
    expect(await documentsOf(t.db, RAW_EVENTS_COLLECTION, { id: small })).to.have.length(1);
    expect(await documentsOf(t.db, RAW_EVENTS_COLLECTION, { id: big })).to.have.length(0);
  });

  it('refuses as unstorable an upsert that would write more than 16 MiB', async () => {
    const id = freshId('grown');
    expect(await record(entry(id))).to.equal('stored');

    const outcome = await record({ ...entry(id, { text: OVER_16_MIB }), status: 'rejected', error: { reason: 'changed', details: [] } });

    expect(outcome).to.be.instanceOf(UnstorableInput);
  });
});
