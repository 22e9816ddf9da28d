import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { ERASED } from '../../../src/domain/personalData.js';
import { casesDueForErasure } from '../../../src/infra/mongo/casesDueForErasure.js';
import { connectMongo, isFerretDB } from '../../../src/infra/mongo/connect.js';
import {
  API_IDEMPOTENCY_COLLECTION,
  COMMAND_RESULTS_COLLECTION,
  createCommandResultReader,
  createCommandResultStore,
} from '../../../src/infra/mongo/commandResults.js';
import { createMongoLookupFailures, LOOKUP_FAILURES_COLLECTION } from '../../../src/infra/mongo/lookupFailures.js';
import { createMongoPersonalDataStore } from '../../../src/infra/mongo/personalDataErasure.js';
import { createMongoRawEventLog, RAW_EVENTS_COLLECTION } from '../../../src/infra/mongo/rawEventLog.js';
import { deleteExpired, prepareExpiry, retentionTargets, type RetentionTarget } from '../../../src/infra/mongo/retention.js';
import { decodeSettings } from '../../../src/infra/settings.js';
import { MONGO_URI, SERVER_MODES, T0, useTestDatabase } from './support.js';

const MINUTE = 60_000;
const NOW = new Date('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const freshId = (label: string) => `${label}-${randomUUID()}`;

/** The targets as the settings make them, each kept `maxAgeMs`. */
const targetsKeeping = (maxAgeMs: string): Record<string, RetentionTarget> => {
  const settings = decodeSettings({
    RETENTION_RAW_EVENTS: maxAgeMs,
    RETENTION_COMMAND_RESULTS: maxAgeMs,
    RETENTION_LOOKUP_FAILURES: maxAgeMs,
    RETENTION_API_IDEMPOTENCY: maxAgeMs,
  });
  if (settings._tag === 'Left') throw new Error(settings.left);
  return Object.fromEntries(retentionTargets(settings.right.retention).map((t) => [t.collection, t]));
};

describe('retention on the real server (integration)', function () {
  this.timeout(60_000);
  const t = useTestDatabase('retention');
  const kept10Minutes = targetsKeeping('10m');
  const sweep = (collection: string, limit = 100) => deleteExpired(t.db, kept10Minutes[collection]!, ago(10 * MINUTE), limit);
  const ids = async (collection: string) =>
    (
      await t.db
        .collection<{ _id: string }>(collection)
        .find({}, { projection: { _id: 1 } })
        .toArray()
    )
      .map((d) => d._id)
      .sort();

  for (const mode of SERVER_MODES) {
    it(`sweeps where the server has no TTL index, and uses TTL indexes where it has (DB_SERVER_MODE=${mode}; FerretDB refuses them)`, async () => {
      const connection = await connectMongo({ uri: MONGO_URI, dbName: t.dbName, appName: 'casestream-it-retention', serverMode: mode });
      try {
        const expiries = await prepareExpiry(connection.db, connection.accommodations, Object.values(kept10Minutes));
        const ferretdb = await isFerretDB(connection.db);
        expect(expiries.map((e) => e.by)).to.deep.equal(
          ferretdb ? ['sweep', 'sweep', 'sweep', 'sweep'] : ['ttl-index', 'ttl-index', 'ttl-index', 'ttl-index'],
        );
        if (ferretdb && mode === 'mongodb')
          expect(expiries[0])
            .to.have.property('because')
            .that.matches(/^the server refused a TTL index: .*not implemented/);
      } finally {
        await connection.close();
      }
    });
  }

  it('deletes a raw copy recorded longer ago than the setting, and keeps a fresh one', async () => {
    const old = freshId('raw-old');
    const fresh = freshId('raw-fresh');
    const entry = (id: string) => ({
      id,
      payload: { client_id: 'c', persons: [{ firstname: 'Ada' }] },
      received_at: T0,
      status: 'processed' as const,
    });
    await firstValueFrom(createMongoRawEventLog(t.db, { now: () => ago(11 * MINUTE) }).record(entry(old)));
    await firstValueFrom(createMongoRawEventLog(t.db, { now: () => ago(9 * MINUTE) }).record(entry(fresh)));

    expect(await sweep(RAW_EVENTS_COLLECTION)).to.deep.equal({ deleted: 1, more: false });
    expect(await ids(RAW_EVENTS_COLLECTION)).to.deep.equal([fresh]);
  });

  it('keeps the raw copy of a case under legal hold past the setting, unchanged by a redelivery, and lets it expire once the hold is lifted', async () => {
    const held = freshId('raw-held');
    const entry = (status: 'processed' | 'rejected') => ({
      id: held,
      payload: { client_id: 'c', persons: [{ firstname: 'Ada' }] },
      received_at: T0,
      status,
    });
    await firstValueFrom(createMongoRawEventLog(t.db, { now: () => ago(11 * MINUTE) }).record(entry('processed')));
    const store = createMongoPersonalDataStore(t.db);
    const hold = (on: boolean) =>
      firstValueFrom(store.holdRawCopies({ case_id: 'case-held', raw_ids: [held], held: on }), { defaultValue: undefined });

    await hold(true);
    await hold(true);
    expect(await sweep(RAW_EVENTS_COLLECTION)).to.deep.equal({ deleted: 0, more: false });
    // a redelivery of the message that ended otherwise leaves the held copy as it was
    await firstValueFrom(createMongoRawEventLog(t.db, { now: () => ago(MINUTE) }).record(entry('rejected')));
    const kept = await t.db.collection(RAW_EVENTS_COLLECTION).findOne({ _id: held as never });
    expect(kept).to.deep.include({ status: 'processed', held_processed_at: ago(11 * MINUTE) });
    expect(kept).not.to.have.property('processed_at');

    await hold(false);
    expect(await sweep(RAW_EVENTS_COLLECTION)).to.deep.equal({ deleted: 1, more: false });
    expect(await ids(RAW_EVENTS_COLLECTION)).not.to.include(held);
  });

  it('deletes command results completed longer ago, keeps recent ones and pending ones however old, and expired idempotency keys', async () => {
    const reader = createCommandResultReader(t.db);
    const store = createCommandResultStore(t.db);
    await reader.accept('pending-old', 'case-1', ago(60 * MINUTE));
    await firstValueFrom(
      store.record({ command_id: 'done-old', status: 'processed', case_id: 'case-1', event_ids: [], completed_at: ago(11 * MINUTE) }),
    );
    await firstValueFrom(
      store.record({ command_id: 'done-new', status: 'rejected', case_id: 'case-1', reason: 'no', completed_at: ago(MINUTE) }),
    );
    await reader.claimIdempotencyKey('key-old', 'hash', 'done-old', ago(11 * MINUTE));
    await reader.claimIdempotencyKey('key-new', 'hash', 'done-new', ago(MINUTE));

    expect(await sweep(COMMAND_RESULTS_COLLECTION)).to.deep.equal({ deleted: 1, more: false });
    expect(await ids(COMMAND_RESULTS_COLLECTION)).to.deep.equal(['done-new', 'pending-old']);
    expect(await sweep(API_IDEMPOTENCY_COLLECTION)).to.deep.equal({ deleted: 1, more: false });
    expect(await ids(API_IDEMPOTENCY_COLLECTION)).to.deep.equal(['key-new']);
    // the API still answers for a key it keeps, and claims an expired one afresh
    expect(await reader.claimIdempotencyKey('key-old', 'other', 'cmd-2')).to.deep.equal({ kind: 'claimed' });
  });

  it('deletes lookup failures resolved longer ago, never an open one, even one reopened after an old resolution', async () => {
    const failures = createMongoLookupFailures(t.db);
    const fail = (case_id: string, failed_at: Date) =>
      firstValueFrom(failures.record({ case_id, trigger: 'T', reason: 'down', failed_at }));
    const resolve = (case_id: string, resolved_at: Date) =>
      firstValueFrom(failures.resolve({ case_id, trigger: 'T', outcome: 'no-rule', resolved_at }));
    await fail('resolved-old', ago(60 * MINUTE));
    await resolve('resolved-old', ago(11 * MINUTE));
    await fail('resolved-new', ago(60 * MINUTE));
    await resolve('resolved-new', ago(MINUTE));
    await fail('reopened', ago(60 * MINUTE));
    await resolve('reopened', ago(30 * MINUTE));
    await fail('reopened', ago(20 * MINUTE));

    expect(await sweep(LOOKUP_FAILURES_COLLECTION)).to.deep.equal({ deleted: 1, more: false });
    expect(await ids(LOOKUP_FAILURES_COLLECTION)).to.deep.equal(['reopened|T', 'resolved-new|T']);
  });

  it('deletes at most one batch at a time, and says when more may be waiting', async () => {
    const log = createMongoRawEventLog(t.db, { now: () => ago(20 * MINUTE) });
    const batch = [freshId('b1'), freshId('b2'), freshId('b3')];
    for (const id of batch) await firstValueFrom(log.record({ id, payload: {}, received_at: T0, status: 'processed' }));

    expect(await sweep(RAW_EVENTS_COLLECTION, 2)).to.deep.equal({ deleted: 2, more: true });
    expect(await sweep(RAW_EVENTS_COLLECTION, 2)).to.deep.equal({ deleted: 1, more: false });
    expect(await sweep(RAW_EVENTS_COLLECTION, 2)).to.deep.equal({ deleted: 0, more: false });
  });

  it('finds the cases closed before the cutoff, longest closed first, with their legal hold; never an open or a recently closed one', async () => {
    const kase = (id: string, patch: Record<string, unknown>) => ({
      _id: id,
      id,
      client_id: `client-${id}`,
      type: 'INDIVIDUAL_STANDARD',
      traitement_type: 'KYC',
      status: 'OPEN',
      ...patch,
    });
    const hold = { since: ago(5 * MINUTE), reason: 'investigation 7' };
    await t.db
      .collection<{ _id: string }>('cases')
      .insertMany([
        kase('open-old', {}),
        kase('closed-recently', { status: 'CLOSED', closed_at: ago(MINUTE), closure_reason: 'ended' }),
        kase('closed-long', { status: 'CLOSED', closed_at: ago(30 * MINUTE), closure_reason: 'ended' }),
        kase('closed-longest', { status: 'CLOSED', closed_at: ago(60 * MINUTE), closure_reason: 'left', legal_hold: hold }),
      ]);

    const due = await casesDueForErasure(t.db, ago(10 * MINUTE), 10);
    expect(due).to.deep.equal([
      {
        case_id: 'closed-longest',
        client_id: 'client-closed-longest',
        type: 'INDIVIDUAL_STANDARD',
        traitement_type: 'KYC',
        closed_at: ago(60 * MINUTE),
        closure_reason: 'left',
        legal_hold: hold,
        personal_data_left: 0,
      },
      {
        case_id: 'closed-long',
        client_id: 'client-closed-long',
        type: 'INDIVIDUAL_STANDARD',
        traitement_type: 'KYC',
        closed_at: ago(30 * MINUTE),
        closure_reason: 'ended',
        legal_hold: null,
        personal_data_left: 0,
      },
    ]);
    expect((await casesDueForErasure(t.db, ago(10 * MINUTE), 1)).map((c) => c.case_id)).to.deep.equal(['closed-longest']);
  });

  it('counts, per closed case, the persons and beneficial owners whose read-model documents are not masked', async () => {
    const kase = (id: string) => ({
      _id: id,
      client_id: `client-${id}`,
      type: 'COMPANY_STANDARD',
      traitement_type: 'KYB',
      status: 'CLOSED',
      closed_at: ago(30 * MINUTE),
    });
    const named = { firstname: 'Ada', lastname: 'Lovelace', birthdate: '1815-12-10', role_in_company: 'DIRECTOR' };
    const masked = { firstname: ERASED, lastname: ERASED, birthdate: null, role_in_company: 'DIRECTOR' };
    const [partly, wholly, untouched] = [freshId('partly'), freshId('wholly'), freshId('untouched')];
    await t.db.collection<{ _id: string }>('cases').insertMany([kase(partly), kase(wholly), kase(untouched)]);
    await t.db.collection<{ _id: string; [field: string]: unknown }>('persons').insertMany([
      { _id: freshId('p'), case_id: partly, ...named },
      { _id: freshId('p'), case_id: partly, ...masked },
      { _id: freshId('p'), case_id: wholly, ...masked },
      { _id: freshId('p'), case_id: untouched, ...named },
      { _id: freshId('p'), case_id: freshId('open-case'), ...named },
    ]);
    await t.db.collection<{ _id: string; [field: string]: unknown }>('beneficial_owners').insertMany([
      { _id: freshId('bo'), case_id: partly, ...named, ownership_percentage: 60 },
      { _id: freshId('bo'), case_id: wholly, ...masked, ownership_percentage: 40 },
      { _id: freshId('bo'), case_id: untouched, ...named, ownership_percentage: 100 },
    ]);

    const left = new Map((await casesDueForErasure(t.db, ago(10 * MINUTE), 100)).map((c) => [c.case_id, c.personal_data_left]));
    expect([partly, wholly, untouched].map((id) => left.get(id))).to.deep.equal([2, 0, 2]);
  });
});
