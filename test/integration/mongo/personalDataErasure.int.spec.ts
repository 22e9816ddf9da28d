import { expect } from 'chai';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { ErasureSubject } from '../../../src/domain/caseCommand.js';
import { emptyCase, evolveCase, type CaseState } from '../../../src/domain/caseState.js';
import { decide } from '../../../src/domain/decide.js';
import { idsFor } from '../../../src/domain/deterministicId.js';
import { isEventOf } from '../../../src/domain/events.js';
import { ERASED } from '../../../src/domain/personalData.js';
import { projectEvents } from '../../../src/domain/projections.js';
import { snapshotsCollection, toSnapshotDocument } from '../../../src/infra/mongo/caseSnapshots.js';
import { createMongoEventStore, eventsCollection, outboxCollection } from '../../../src/infra/mongo/eventStore.js';
import { createMongoPersonalDataStore } from '../../../src/infra/mongo/personalDataErasure.js';
import { createMongoRawEventLog } from '../../../src/infra/mongo/rawEventLog.js';
import { createMongoReadModelStore } from '../../../src/infra/mongo/readModelStore.js';
import { rawCopyId } from '../../../src/streams/steps/recordRawEvent.js';
import { contentOf, creationCommand, found, rawKybMessage, rightOf } from '../../unit/domain/fixtures.js';
import { T0, useTestDatabase } from './support.js';

const rule = { rule_id: 'r-1', is_active: true, notification_type: 'WELCOME', template_id: 'tpl-1', language_code: 'en' };

/** The fixture's KYB message with names of its own (`tag`), so that a search of the database finds one case's. */
const kybMessage = (tag: string) => {
  const m = rawKybMessage() as { persons: Record<string, unknown>[]; beneficial_owners: { person_details: Record<string, unknown> }[] };
  m.persons[0] = { ...m.persons[0], firstname: `Grace${tag}`, lastname: `Hopper${tag}` };
  m.persons[1] = { ...m.persons[1], firstname: `Alan${tag}`, lastname: `Turing${tag}` };
  m.beneficial_owners[0]!.person_details = { firstname: `Ulrich${tag}`, lastname: `Owner${tag}` };
  m.beneficial_owners[1]!.person_details = { firstname: `Barbara${tag}`, lastname: `Liskov${tag}` };
  return m as unknown as Record<string, unknown>;
};

describe('the MongoDB PersonalDataStore (integration)', function () {
  this.timeout(60_000);
  const t = useTestDatabase('erasure');

  /** Stores a KYB case as the pipeline would: events (with a notification still in the outbox), read models, raw copy, snapshot. */
  const storeCase = async (key: string, tag: string) => {
    const created = creationCommand(kybMessage(tag), key);
    const events = rightOf(decide(emptyCase(created.case_id), created, found(rule)));
    const state = evolveCase(emptyCase(created.case_id), events);
    await firstValueFrom(createMongoEventStore(t.db).append(events, state));
    await lastValueFrom(createMongoReadModelStore(t.db).apply(projectEvents(events)), { defaultValue: undefined });
    await firstValueFrom(
      createMongoRawEventLog(t.db).record({ id: rawCopyId(idsFor(key)), payload: kybMessage(tag), received_at: T0, status: 'processed' }),
    );
    // a replay's copy of the persons read model
    const aside = t.db.collection(`persons__before_replay_${Date.now()}`);
    await aside.insertMany(await t.db.collection('persons').find({ case_id: created.case_id }).toArray());
    return { created, events, state };
  };

  /** Records the erasure of `subject` (appended with its state, as the pipeline does) and the Erasure the masking gets. */
  const recordErasure = async (state: CaseState, key: string, subject: ErasureSubject, beneficialOwners: ReadonlySet<string>) => {
    const body = {
      command_type: 'EraseSubject' as const,
      command_id: `cmd-${key}`,
      case_id: state.case_id,
      subject,
      reason: 'GDPR',
      requested_by: 'dpo',
    };
    const erased = rightOf(
      decide(state, { ...body, key, content_hash: contentOf(body), timestamp: T0 }, null, undefined, beneficialOwners),
    );
    const after = evolveCase(state, erased);
    await firstValueFrom(createMongoEventStore(t.db).append(erased, after));
    return {
      after,
      erasure: {
        case_id: state.case_id,
        company_id: state.facts!.company_id,
        subject,
        raw_ids: [rawCopyId(idsFor(state.creation!.key))],
        version: after.version,
      },
    };
  };

  const dump = async (): Promise<string> => {
    const names = (await t.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    const all: Record<string, unknown[]> = {};
    for (const name of names) all[name] = await t.db.collection(name).find({}).sort({ _id: 1 }).toArray();
    return JSON.stringify(all);
  };

  it('lists the beneficial owners of a company from its stream', async () => {
    const { events, state } = await storeCase('owners', 'Oo');
    const owners = events.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id);
    const store = createMongoPersonalDataStore(t.db);
    expect([...(await firstValueFrom(store.beneficialOwners(state.facts!.company_id!)))]).to.have.members(owners);
  });

  it('masks the first person everywhere: events (the notification the outbox points at included), read models and their copies, the raw copy and an older snapshot', async () => {
    const { events, state } = await storeCase('first-person', 'Fp');
    const grace = events.find(isEventOf('PersonAddedToCase'))!.payload.person_id;
    // A snapshot taken before the erasure, as one whose rewrite failed would be left.
    const { erasure } = await recordErasure(state, 'erase-grace', { kind: 'person', id: grace }, new Set());
    await snapshotsCollection(t.db).replaceOne(
      { _id: state.case_id },
      toSnapshotDocument(state, events.filter((e) => e.aggregate_id === state.case_id).at(-1)!.event_id),
      { upsert: true },
    );
    expect(await dump()).to.contain('HopperFp');

    await firstValueFrom(createMongoPersonalDataStore(t.db).erase(erasure), { defaultValue: undefined });

    const all = await dump();
    for (const value of ['GraceFp', 'HopperFp']) expect(all).not.to.contain(value);
    expect(all, "the other persons' data stays").to.contain('TuringFp');
    const notification = events.find(isEventOf('NotificationRequired'))!;
    const pending = await outboxCollection(t.db).findOne({ _id: notification.event_id });
    expect(pending && Object.keys(pending).sort(), 'the outbox keeps no copy of the event').to.deep.equal([
      '_id',
      'aggregate_id',
      'pending_since',
      'version',
    ]);
    const stored = await eventsCollection(t.db).findOne({ event_id: notification.event_id });
    expect(stored?.payload).to.deep.include({
      recipient_details: { case_id: state.case_id, client_id: 'client-7', primary_contact_name: ERASED },
      context_data: { case_id: state.case_id, client_name: ERASED, case_type: 'kyb-standard', traitement_type: 'KYB' },
    });
    expect(await snapshotsCollection(t.db).findOne({ _id: state.case_id })).to.equal(null);
  });

  it('changes nothing when run again, and finishes a run that was interrupted', async () => {
    const { events, state } = await storeCase('rerun', 'Rr');
    const owners = new Set(events.filter(isEventOf('BeneficialOwnerAdded')).map((e) => e.payload.beneficial_owner_id));
    const liskov = [...owners][1]!;
    const grace = events.find(isEventOf('PersonAddedToCase'))!.payload.person_id;
    const { erasure: ofLiskov, after } = await recordErasure(state, 'erase-liskov', { kind: 'beneficial_owner', id: liskov }, owners);
    const store = createMongoPersonalDataStore(t.db);
    await firstValueFrom(store.erase(ofLiskov), { defaultValue: undefined });
    const once = await dump();
    for (const value of ['BarbaraRr', 'LiskovRr']) expect(once).not.to.contain(value);

    await firstValueFrom(store.erase(ofLiskov), { defaultValue: undefined });
    expect(await dump()).to.equal(once);

    // Interrupted after the events: the person's read-model document still names them.
    const { erasure: ofGrace } = await recordErasure(after, 'erase-grace', { kind: 'person', id: grace }, owners);
    await firstValueFrom(store.erase(ofGrace), { defaultValue: undefined });
    await t.db.collection<{ _id: string }>('persons').updateOne({ _id: grace }, { $set: { firstname: 'GraceRr', lastname: 'HopperRr' } });
    expect(await dump()).to.contain('HopperRr');
    await firstValueFrom(store.erase(ofGrace), { defaultValue: undefined });
    for (const value of ['GraceRr', 'HopperRr']) expect(await dump()).not.to.contain(value);
  });
});
