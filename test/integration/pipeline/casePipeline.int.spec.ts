import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { encodeRuleCacheEntry, newRuleCacheEntry, ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { HARNESS_REDIS_URL, ServiceHarness } from '../../support/serviceHarness.js';
import { sleep, uniqueName, waitFor } from '../../support/stack.js';

const run = uniqueName('t').toUpperCase().replace(/-/g, '_');
const welcome = (rule_id: string, is_active = true) => ({ rule_id, is_active, notification_type: 'EMAIL', template_id: `${rule_id}_V1`, language_code: 'en' });

const kyc = (client_id: string, type = 'INDIVIDUAL_STANDARD', persons = [{ firstname: 'John', lastname: 'Doe', birthdate: '1990-01-15' }]) => ({
  client_id,
  version: '1.0',
  type,
  traitement_type: 'kyc',
  persons,
});

const kyb = (client_id: string, type = 'COMPANY_STANDARD') => ({
  client_id,
  version: '1.0',
  type,
  traitement_type: 'KYB',
  company_profile: {
    registered_name: 'Test Corp Ltd',
    registration_number: 'C09876',
    country_of_incorporation: 'GB',
    registered_address: { street: '1 Business Park', city: 'London', country: 'GB', postal_code: 'E14 5HQ' },
    industry_sector: 'Finance',
  },
  persons: [
    { firstname: 'Jane', lastname: 'Director', birthdate: '1985-03-20', role_in_company: 'Director' },
    { firstname: 'Sam', lastname: 'Assistant' },
  ],
  beneficial_owners: [
    { person_details: { firstname: 'Ultimate', lastname: 'Owner', birthdate: '1975-11-10' }, ownership_percentage: 75, types_of_control: ['SHAREHOLDING_OVER_25'], is_ubo: true },
    { person_details: { firstname: 'Minor', lastname: 'Holder' }, ownership_percentage: 25 },
  ],
});

const typesOf = (events: Record<string, unknown>[]) => events.map((e) => `${String(e.event_type)}@${String(e.version)}`);

describe('the case pipeline on the real stack', function () {
  this.timeout(90_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  before(async () => {
    stub = await startConfigServiceStub({
      rules: {
        CASE_CREATED_KYC_INDIVIDUAL_STANDARD: [welcome('WELCOME_KYC')],
        CASE_CREATED_KYB_COMPANY_STANDARD: [welcome('WELCOME_KYB')],
        [`CASE_CREATED_KYC_INACTIVE_${run}`]: [welcome('OLD', false)],
        [`CASE_CREATED_KYC_FAILING_${run}`]: [welcome('NEVER_SEEN')],
        [`CASE_CREATED_KYC_STALE_${run}`]: [welcome('NEVER_SEEN_EITHER')],
      },
    });
    svc = await new ServiceHarness({ CONFIG_SERVICE_URL: stub.url, DEFAULT_HTTP_TIMEOUT: '1' }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  afterEach(() => stub.reset());

  it('turns a KYC message into a case with its events, versions, read models and document requirements', async () => {
    await svc.sendClientData({ value: kyc('kyc-1'), messageId: `${run}-kyc-1` });
    const c = await svc.caseOf('kyc-1');
    expect(c).to.include({ client_id: 'kyc-1', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', company_id: null, status: 'OPEN' });
    const id = c.id as string;
    await waitFor(async () => (await svc.events(id)).length === 5, 20_000, { description: 'five case events' });
    const events = await svc.events(id);
    expect(typesOf(events)).to.deep.equal([
      'CaseCreated@1',
      'PersonAddedToCase@2',
      'DocumentRequirementDetermined@3',
      'DocumentRequirementDetermined@4',
      'NotificationRequired@5',
    ]);
    expect(events[0]!.timestamp).to.be.instanceOf(Date);
    expect(events[0]!.metadata).to.deep.include({ correlation_id: `${run}-kyc-1` });
    const persons = await svc.db.collection('persons').find({ case_id: id }, { projection: { _id: 0 } }).toArray();
    expect(persons).to.have.length(1);
    expect(persons[0]).to.include({ firstname: 'John', lastname: 'Doe', birthdate: '1990-01-15', company_id: null });
    const docs = await waitFor(async () => {
      const found = await svc.db.collection('document_requirements').find({ case_id: id }).toArray();
      return found.length === 2 ? found : null;
    });
    expect(docs.map((d) => d.document_type).sort()).to.deep.equal(['PASSPORT', 'PROOF_OF_ADDRESS']);
    expect(docs.every((d) => d.status === 'AWAITING_UPLOAD' && d.is_required === true && d.entity_id === persons[0]!.id)).to.equal(true);
    const raw = await waitFor(() => svc.db.collection('raw_events').findOne({ 'payload.client_id': 'kyc-1' }));
    expect(raw).to.include({ event_type: 'KAFKA_MESSAGE_RAW_STORED', status: 'processed' });
  });

  it('turns a KYB message into a case and a company with linked persons, owners and documents', async () => {
    await svc.sendClientData({ value: kyb('kyb-1'), messageId: `${run}-kyb-1` });
    const c = await svc.caseOf('kyb-1');
    const caseId = c.id as string;
    const companyId = c.company_id as string;
    expect(companyId).to.be.a('string');
    await waitFor(async () => (await svc.events(caseId)).length === 8, 20_000, { description: 'eight case events' });
    expect(typesOf(await svc.events(caseId))).to.deep.equal([
      'CaseCreated@1',
      'PersonAddedToCase@2',
      'PersonAddedToCase@3',
      'DocumentRequirementDetermined@4',
      'DocumentRequirementDetermined@5',
      'DocumentRequirementDetermined@6',
      'DocumentRequirementDetermined@7',
      'NotificationRequired@8',
    ]);
    expect(typesOf(await svc.events(companyId))).to.deep.equal([
      'CompanyProfileCreated@1',
      'PersonLinkedToCompany@2',
      'BeneficialOwnerAdded@3',
      'BeneficialOwnerAdded@4',
    ]);
    const company = await waitFor(() => svc.db.collection('companies').findOne({ id: companyId }));
    expect(company).to.include({ case_id: caseId, registered_name: 'Test Corp Ltd', registration_number: 'C09876', country_of_incorporation: 'GB' });
    const persons = await waitFor(async () => {
      const found = await svc.db.collection('persons').find({ case_id: caseId }).sort({ firstname: 1 }).toArray();
      return found.length === 2 && found.some((p) => p.company_id) ? found : null;
    });
    expect(persons.map((p) => [p.firstname, p.role_in_company, p.company_id])).to.deep.equal([
      ['Jane', 'Director', companyId],
      ['Sam', null, null],
    ]);
    const owners = await svc.db.collection('beneficial_owners').find({ company_id: companyId }).sort({ ownership_percentage: -1 }).toArray();
    expect(owners.map((o) => [o.firstname, o.ownership_percentage, o.is_ubo, o.case_id])).to.deep.equal([
      ['Ultimate', 75, true, caseId],
      ['Minor', 25, false, caseId],
    ]);
    const docs = await svc.db.collection('document_requirements').find({ case_id: caseId }).toArray();
    expect(docs.map((d) => `${d.entity_type}:${d.document_type}`).sort()).to.deep.equal([
      'COMPANY:ARTICLES_OF_ASSOCIATION',
      'COMPANY:COMPANY_REGISTRATION_CERTIFICATE',
      'PERSON:PASSPORT_DIRECTOR_BO',
      'PERSON:PASSPORT_DIRECTOR_BO',
    ]);
  });

  it('publishes one NotificationRequired keyed by the case id when an active rule matches', async () => {
    await svc.sendClientData({ value: kyc('kyc-notify'), messageId: `${run}-kyc-notify` });
    const caseId = (await svc.caseOf('kyc-notify')).id as string;
    const stored = await waitFor(() => svc.db.collection('domain_events').findOne({ aggregate_id: caseId, event_type: 'NotificationRequired' }));
    const published = await waitFor(
      () => {
        const found = svc.notifications.filter((n) => n.key === caseId);
        return found.length > 0 ? found : null;
      },
      20_000,
      { description: 'the notification' },
    );
    expect(published).to.have.length(1);
    const event = JSON.parse(published[0]!.value!) as Record<string, unknown>;
    expect(event).to.include({ event_id: stored.event_id, event_type: 'NotificationRequired', aggregate_id: caseId, version: 5 });
    expect(event.payload).to.deep.include({
      notification_type: 'EMAIL',
      template_id: 'WELCOME_KYC_V1',
      language_code: 'en',
      recipient_details: { case_id: caseId, client_id: 'kyc-notify', primary_contact_name: 'John Doe' },
      context_data: { case_id: caseId, client_name: 'John', case_type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC' },
    });
    expect(Object.keys(event)).to.deep.equal(['event_id', 'event_type', 'aggregate_id', 'timestamp', 'version', 'payload', 'metadata']);
    expect(new Date(event.timestamp as string).toISOString()).to.equal(event.timestamp);
    await waitFor(async () => (await svc.db.collection('notification_outbox').countDocuments({ _id: stored.event_id } as object)) === 0, 10_000, {
      description: 'the acknowledgement (the notification leaves the outbox)',
    });
  });

  const expectNoNotification = async (client_id: string) => {
    const caseId = (await svc.caseOf(client_id)).id as string;
    await waitFor(() => svc.db.collection('raw_events').findOne({ 'payload.client_id': client_id, status: 'processed' }));
    expect(await svc.db.collection('domain_events').countDocuments({ aggregate_id: caseId, event_type: 'NotificationRequired' })).to.equal(0);
    expect(svc.notifications.filter((n) => n.key === caseId)).to.have.length(0);
    return caseId;
  };

  it('records no notification when the only matching rule is inactive', async () => {
    await svc.sendClientData({ value: kyc('kyc-inactive', `INACTIVE_${run}`) });
    await expectNoNotification('kyc-inactive');
  });

  it('records no notification when no rule matches the trigger', async () => {
    await svc.sendClientData({ value: kyc('kyc-norule', `NO_RULE_${run}`) });
    await expectNoNotification('kyc-norule');
  });

  it('still creates the case, without a notification, when the Configuration Service fails', async () => {
    stub.setMode({ mode: 'error', status: 500 });
    await svc.sendClientData({ value: kyc('kyc-failing', `FAILING_${run}`) });
    const caseId = await expectNoNotification('kyc-failing');
    expect((await svc.events(caseId)).map((e) => e.event_type)).to.include('CaseCreated');
    expect(stub.state().requests).to.be.greaterThan(0);
  });

  it('uses an expired cached rule when the Configuration Service fails', async () => {
    const redis = new Redis(HARNESS_REDIS_URL);
    const trigger = `CASE_CREATED_KYC_STALE_${run}`;
    const expired = newRuleCacheEntry(welcome('CACHED_RULE'), Date.now() - 3_600_000, 1000);
    await redis.set(ruleCacheKey(trigger), encodeRuleCacheEntry(expired), 'EX', 3600);
    stub.setMode('malformed');
    try {
      await svc.sendClientData({ value: kyc('kyc-stale', `STALE_${run}`) });
      const caseId = (await svc.caseOf('kyc-stale')).id as string;
      const n = await waitFor(() => svc.db.collection('domain_events').findOne({ aggregate_id: caseId, event_type: 'NotificationRequired' }));
      expect(n.payload).to.include({ template_id: 'CACHED_RULE_V1' });
    } finally {
      await redis.del(ruleCacheKey(trigger));
      redis.disconnect();
    }
  });

  it('dead-letters a rejected message with its reasons, original value and source position', async () => {
    const bad = { client_id: 'kyb-bad', version: '2.0', type: 'COMPANY_STANDARD', traitement_type: 'KYB', persons: [{ firstname: 'No' }] };
    await svc.sendClientData({ value: bad, messageId: `${run}-bad`, key: 'some-key' });
    const letter = await waitFor(() => svc.deadLetters.find((d) => d.headers['message-id'] === `${run}-bad`), 20_000, { description: 'the dead letter' });
    expect(letter.key).to.equal('some-key');
    expect(JSON.parse(letter.value!)).to.deep.equal(bad);
    expect(letter.headers['x-source-topic']).to.equal(svc.settings.KAFKA_TOPIC_NAME);
    expect(letter.headers['x-source-partition']).to.match(/^\d+$/);
    expect(letter.headers['x-source-offset']).to.match(/^\d+$/);
    expect(letter.headers['x-error-reason']).to.contain('$.version must be exactly "1.0"');
    const details = JSON.parse(letter.headers['x-error-details']!) as { path: string; rule: string }[];
    expect(details.map((d) => d.path)).to.have.members(['$.version', '$.persons[0].lastname', '$.company_profile']);
    const raw = await waitFor(() => svc.db.collection('raw_events').findOne({ 'payload.client_id': 'kyb-bad' }));
    expect(raw).to.include({ status: 'rejected' });
  });

  it('creates nothing twice when the same message is delivered twice', async () => {
    const message = { value: kyb('kyb-twice'), messageId: `${run}-twice` };
    await svc.sendClientData(message);
    const caseId = (await svc.caseOf('kyb-twice')).id as string;
    await waitFor(() => svc.notifications.some((n) => n.key === caseId), 20_000, { description: 'the first notification' });
    await svc.sendClientData(message);
    await waitFor(async () => (await svc.db.collection('raw_events').countDocuments({ 'payload.client_id': 'kyb-twice' })) === 1);
    await sleep(2000);
    expect(await svc.db.collection('cases').countDocuments({ client_id: 'kyb-twice' })).to.equal(1);
    expect((await svc.events(caseId)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await svc.db.collection('companies').countDocuments({ case_id: caseId })).to.equal(1);
    expect(await svc.db.collection('persons').countDocuments({ case_id: caseId })).to.equal(2);
    const notificationIds = new Set(svc.notifications.filter((n) => n.key === caseId).map((n) => (JSON.parse(n.value!) as { event_id: string }).event_id));
    expect(notificationIds.size).to.equal(1);
  });

  it('applies two messages for one case in order: requirements determined, then a status change', async () => {
    await svc.sendClientData({ value: kyc('kyc-commands', `NO_RULE_${run}`), messageId: `${run}-commands` });
    const caseId = (await svc.caseOf('kyc-commands')).id as string;
    const person = await waitFor(() => svc.db.collection('persons').findOne({ case_id: caseId }));
    const doc = await waitFor(() => svc.db.collection('document_requirements').findOne({ case_id: caseId, document_type: 'PASSPORT' }));
    await svc.sendCommand(
      { key: caseId, value: { command_type: 'DetermineDocumentRequirements', command_id: `${run}-c1`, case_id: caseId, entity_id: person.id, entity_type: 'PERSON' } },
      { key: caseId, value: { command_type: 'UpdateDocumentStatus', command_id: `${run}-c2`, case_id: caseId, document_requirement_id: doc.id, new_status: 'UPLOADED', updated_by_actor_type: 'USER', notes_to_add: ['scan received'] } },
      { key: caseId, value: { command_type: 'UpdateDocumentStatus', command_id: `${run}-c3`, case_id: caseId, document_requirement_id: doc.id, new_status: 'VERIFIED_MANUAL', updated_by_actor_id: 'agent-7', metadata_changes: { checked: true } } },
      { key: caseId, value: { command_type: 'UpdateDocumentStatus', command_id: `${run}-c4`, case_id: caseId, document_requirement_id: doc.id, new_status: 'VERIFIED_MANUAL' } },
    );
    const updated = await waitFor(() => svc.db.collection('document_requirements').findOne({ id: doc.id, status: 'VERIFIED_MANUAL' }));
    expect(updated.notes).to.deep.equal(['scan received']);
    expect(updated.metadata).to.deep.equal({ checked: true });
    await sleep(1000);
    const events = await svc.events(caseId);
    expect(typesOf(events)).to.deep.equal([
      'CaseCreated@1',
      'PersonAddedToCase@2',
      'DocumentRequirementDetermined@3',
      'DocumentRequirementDetermined@4',
      'DocumentStatusUpdated@5',
      'DocumentStatusUpdated@6',
    ]);
    expect(events[4]!.payload).to.deep.include({ old_status: 'AWAITING_UPLOAD', new_status: 'UPLOADED', updated_by: 'USER' });
    expect(events[5]!.payload).to.deep.include({ old_status: 'UPLOADED', new_status: 'VERIFIED_MANUAL', updated_by: 'agent-7' });
  });

  it('dead-letters a command for an unknown document with the reason', async () => {
    await svc.sendClientData({ value: kyc('kyc-unknown-doc', `NO_RULE_${run}`) });
    const caseId = (await svc.caseOf('kyc-unknown-doc')).id as string;
    await svc.sendCommand({
      key: caseId,
      value: { command_type: 'UpdateDocumentStatus', command_id: `${run}-c9`, case_id: caseId, document_requirement_id: 'no-such-doc', new_status: 'UPLOADED' },
    });
    const letter = await waitFor(() => svc.deadLetters.find((d) => d.headers['x-source-topic'] === svc.settings.KAFKA_COMMAND_TOPIC && d.key === caseId), 20_000);
    expect(letter.headers['x-error-reason']).to.contain('unknown document requirement no-such-doc');
  });
});

describe('the case pipeline with Redis down', function () {
  this.timeout(90_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  before(async () => {
    stub = await startConfigServiceStub({ rules: { CASE_CREATED_KYC_INDIVIDUAL_STANDARD: [welcome('WELCOME_NO_REDIS')] } });
    svc = await new ServiceHarness({ CONFIG_SERVICE_URL: stub.url, REDIS_URL: 'redis://127.0.0.1:6390' }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  it('asks the Configuration Service directly and still notifies', async () => {
    await svc.sendClientData({ value: kyc('kyc-no-redis') });
    const caseId = (await svc.caseOf('kyc-no-redis')).id as string;
    const n = await waitFor(() => svc.notifications.find((m) => m.key === caseId), 20_000, { description: 'the notification' });
    expect((JSON.parse(n.value!) as { payload: { template_id: string } }).payload.template_id).to.equal('WELCOME_NO_REDIS_V1');
    expect(stub.state().requests).to.be.greaterThan(0);
  });
});
