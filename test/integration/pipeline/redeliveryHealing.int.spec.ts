import { expect } from 'chai';
import { ERASED } from '../../../src/domain/personalData.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { FORGETFUL_SERVICE_ENV, forgetCases, nextPublished, outboxEntryGone } from './forgetfulService.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

/**
 * A crash between a message's append and the rest of its work (read models, outbox entry) is healed
 * by its redelivery, from the events it stored. Against the real stack: the crash is played by
 * undoing the lost writes in MongoDB and letting the service's actors forget the case, then the
 * same message (same message-id) is sent again.
 */

type Json = Record<string, unknown>;

const run = uniqueName('heal').toUpperCase().replace(/-/g, '_');
const CASE_TYPE = `HEAL_${run}`;
const welcome = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

const kyb = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: CASE_TYPE,
  traitement_type: 'KYB',
  company_profile: {
    registered_name: 'Healing Ltd',
    registration_number: 'HL-1',
    country_of_incorporation: 'GB',
    registered_address: { country: 'GB' },
  },
  persons: [{ firstname: 'Wilhelmina', lastname: 'Mendwell', birthdate: '1931-03-04', role_in_company: 'Director' }],
  beneficial_owners: [
    { person_details: { firstname: 'Cornelius', lastname: 'Stitchwort', birthdate: '1944-04-04' }, ownership_percentage: 70, is_ubo: true },
  ],
});

describe('a redelivered message heals, from its stored events, what a crash left undone, against the real stack', function () {
  this.timeout(300_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  const readModel = (collection: string, filter: Json): Promise<Json | null> => svc.db.collection(collection).findOne(filter as never);
  const processed = (command_id: string, count = 1) =>
    waitFor(
      async () =>
        (await svc.db.collection('command_results').countDocuments({ _id: command_id as never, status: 'processed' })) >= count
          ? true
          : undefined,
      20_000,
      { description: `the result of ${command_id}` },
    );
  const command = (body: Json) => ({ value: body, key: String(body.case_id), headers: { 'message-id': String(body.command_id) } });

  before(async () => {
    stub = await startConfigServiceStub({ rules: { [`CASE_CREATED_KYB_${CASE_TYPE}`]: [welcome] } });
    svc = await new ServiceHarness({
      CONFIG_SERVICE_URL: stub.url,
      ...FORGETFUL_SERVICE_ENV,
      // a rule the Configuration Service no longer has is soon no rule here either
      CONFIG_CACHE_TTL_SECONDS: '1',
      CONFIG_CACHE_NEGATIVE_TTL_SECONDS: '1',
      CONFIG_CACHE_STALE_TTL_SECONDS: '0',
    }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  let caseId = '';
  let message: { value: Json; messageId: string };

  it('projects again the document status a command stored but whose read-model write a crash lost', async () => {
    message = { value: kyb('heal-client'), messageId: `heal-created-${run}` };
    await svc.sendClientData(message);
    caseId = (await svc.caseOf('heal-client')).id as string;
    const requirement = await waitFor(() => readModel('document_requirements', { case_id: caseId }), 20_000, {
      description: 'a document requirement',
    });
    const upload = command({
      command_type: 'UpdateDocumentStatus',
      command_id: `heal-upload-${run}`,
      case_id: caseId,
      document_requirement_id: requirement!._id,
      new_status: 'UPLOADED',
    });
    await svc.sendCommand(upload);
    await processed(`heal-upload-${run}`);
    const uploaded = await readModel('document_requirements', { _id: requirement!._id });
    expect(uploaded).to.deep.include({ status: 'UPLOADED' });

    // the crash between the append and the projection: the read model as it was before the upload
    await svc.db
      .collection('document_requirements')
      .updateOne(
        { _id: requirement!._id as never },
        { $set: { status: 'AWAITING_UPLOAD', 'applied.case': ((uploaded!.applied as Json).case as number) - 1 } },
      );
    await forgetCases();
    await svc.sendCommand(upload);

    await waitFor(
      async () => ((await readModel('document_requirements', { _id: requirement!._id }))?.status === 'UPLOADED' ? true : undefined),
      20_000,
      {
        description: 'the upload projected again',
      },
    );
    expect(await readModel('document_requirements', { _id: requirement!._id })).to.deep.equal(uploaded);
  });

  it('publishes, as stored, the notification of a creation redelivered once its rule is gone and its outbox entry lost', async () => {
    const first = await nextPublished(svc, caseId, 0, 'the notification');
    await outboxEntryGone(svc, first.event_id as string, 'the first outbox entry removed');
    // the rule is gone from the Configuration Service, and the Redis cache has forgotten it
    stub.setRules({});
    await svc.db.collection('persons').updateOne({ case_id: caseId }, { $set: { role_in_company: 'crash lost it' } });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the rule's cache entry expired, the case forgotten
    const earlier = svc.notifications.length;
    await svc.sendClientData(message);

    const again = await nextPublished(svc, caseId, earlier, 'the notification published again', 30_000);
    expect(again).to.deep.equal(first);
    await waitFor(
      async () => ((await readModel('persons', { case_id: caseId }))?.role_in_company === 'Director' ? true : undefined),
      20_000,
      {
        description: 'the person projected again',
      },
    );
  });

  it('brings no erased value back into any read model when a command and the creation are delivered again after an erasure', async () => {
    const person = (await readModel('persons', { case_id: caseId }))!;
    const owner = (await readModel('beneficial_owners', { case_id: caseId }))!;
    const erasures = [
      {
        command_type: 'EraseSubject',
        command_id: `heal-erase-person-${run}`,
        case_id: caseId,
        subject: { kind: 'person', id: person._id },
        reason: 'GDPR request',
        requested_by: 'dpo',
      },
      {
        command_type: 'EraseSubject',
        command_id: `heal-erase-owner-${run}`,
        case_id: caseId,
        subject: { kind: 'beneficial_owner', id: owner._id },
        reason: 'GDPR request',
        requested_by: 'dpo',
      },
    ];
    for (const body of erasures) {
      await svc.sendCommand(command(body));
      await processed(body.command_id);
    }
    await forgetCases();
    const close = { command_type: 'CloseCase', command_id: `heal-close-${run}`, case_id: caseId, reason: 'done' };
    await svc.sendCommand(command(close));
    await processed(close.command_id);
    await forgetCases();

    // a crash that lost the persons' and owners' documents: the redelivered creation inserts them again
    await svc.db.collection('persons').deleteMany({ case_id: caseId });
    await svc.db.collection('beneficial_owners').deleteMany({ case_id: caseId });
    await svc.sendCommand(command(close), command(erasures[0]!));
    await svc.sendClientData(message);
    for (const collection of ['persons', 'beneficial_owners'])
      await waitFor(() => readModel(collection, { case_id: caseId }), 20_000, { description: `the ${collection} projected again` });
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the other redeliveries handled too

    const values = ['Wilhelmina', 'Mendwell', '1931-03-04', 'Cornelius', 'Stitchwort', '1944-04-04'];
    for (const collection of ['cases', 'persons', 'companies', 'beneficial_owners', 'document_requirements']) {
      const docs = JSON.stringify(
        await svc.db
          .collection(collection)
          .find({ $or: [{ case_id: caseId }, { _id: caseId as never }] })
          .toArray(),
      );
      for (const value of values) expect(docs, `${collection} names ${value}`).to.not.include(value);
    }
    expect(await readModel('persons', { _id: person._id })).to.deep.include({ firstname: ERASED, lastname: ERASED });
    expect(await readModel('beneficial_owners', { _id: owner._id })).to.deep.include({ firstname: ERASED, lastname: ERASED });
    expect(await readModel('cases', { _id: caseId })).to.deep.include({ status: 'CLOSED' });
  });
});
