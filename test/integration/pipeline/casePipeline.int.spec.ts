import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { contentHash } from '../../../src/domain/contentHash.js';
import { encodeRuleCacheEntry, newRuleCacheEntry, ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { HARNESS_REDIS_URL, ServiceHarness } from '../../support/serviceHarness.js';
import { sleep, uniqueName, waitFor } from '../../support/stack.js';
import { KafkaPositions } from './kafkaPositions.js';
import { kybOwners, kybPersons } from '../../support/kybParties.js';

const run = uniqueName('t').toUpperCase().replace(/-/g, '_');
const welcome = (rule_id: string, is_active = true) => ({
  rule_id,
  is_active,
  notification_type: 'EMAIL',
  template_id: `${rule_id}_V1`,
  language_code: 'en',
});

const kyc = (
  client_id: string,
  type = 'INDIVIDUAL_STANDARD',
  persons = [{ firstname: 'John', lastname: 'Doe', birthdate: '1990-01-15' }],
) => ({
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
  persons: kybPersons(),
  beneficial_owners: kybOwners(),
});

/** The company profile of `kyb(...)` as casestream records it: every optional field present, null when not sent. */
const kybCompanyFields = {
  registered_name: 'Test Corp Ltd',
  trading_name: null,
  registration_number: 'C09876',
  registration_date: null,
  country_of_incorporation: 'GB',
  registered_address: { street: '1 Business Park', city: 'London', state_province: null, postal_code: 'E14 5HQ', country: 'GB' },
  business_type: null,
  industry_sector: 'Finance',
};

type Doc = Record<string, unknown>;
type Metadata = { correlation_id: string; causation_id: string; content_hash: string };

const typesOf = (events: Doc[]) => events.map((e) => `${String(e.event_type)}@${String(e.version)}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The events of one message without their ids, for an exact comparison of everything else, once
 * the ids are checked: UUIDs, all different.
 */
/**
 * The provenance the case's notification recorded, once checked: its trigger, the rule and a fresh
 * or cached answer (the rule cache is shared by the tests of this file). Its `fetched_at` is the
 * lookup's own time.
 */
const provenanceOf = (events: Doc[], trigger: string, rule_id: string): Doc => {
  const provenance = (events.at(-1)!.payload as { provenance: Doc }).provenance;
  expect(provenance).to.include({ trigger, rule_id, rule_version: null });
  expect(['fresh', 'cache']).to.include(provenance.source);
  expect(provenance.answer_source).to.equal(provenance.source);
  expect(provenance.fetched_at).to.not.equal(undefined);
  return provenance;
};

const withoutEventIds = (events: Doc[]): Doc[] => {
  for (const e of events) expect(e.event_id, `event_id of ${String(e.event_type)}@${String(e.version)}`).to.match(UUID);
  expect(new Set(events.map((e) => e.event_id)).size, 'distinct event ids').to.equal(events.length);
  return events.map(({ event_id: _id, ...rest }) => rest);
};

/** A builder of the expected events of one stream of one message: same aggregate, time and metadata. */
const streamOf =
  (aggregate_id: string, timestamp: Date, metadata: Metadata) =>
  (version: number, event_type: string, payload: Doc): Doc => ({ event_type, aggregate_id, timestamp, version, payload, metadata });

/**
 * The metadata every event of a message carries: the message id, the id of the command it became,
 * and the hash of the message's bytes (as sent: JSON) that the message id is bound to.
 */
const metadataOf = (events: Doc[], correlation_id: string, sent: unknown): Metadata => {
  const causation_id = (events[0]?.metadata as Doc | undefined)?.causation_id;
  expect(causation_id, 'causation_id (the command id)').to.be.a('string').and.match(UUID);
  return { correlation_id, causation_id: causation_id as string, content_hash: contentHash(Buffer.from(JSON.stringify(sent))) };
};

type Wanted = readonly [entity_type: 'PERSON' | 'COMPANY', entity_id: string, document_type: string];

/**
 * The requirements a new case must have, in the order their events were recorded: the
 * DocumentRequirementDetermined payloads and the read-model documents they must have produced
 * (awaiting upload, required, no metadata or notes, stamped with the event time). The ids are the
 * ones found in the read model, exactly one per entity and document type.
 */
const requirementsOf = (docs: Doc[], case_id: string, at: Date, wanted: readonly Wanted[]) => {
  const found = wanted.map(([entity_type, entity_id, document_type]) => {
    const matching = docs.filter((d) => d.entity_id === entity_id && d.document_type === document_type);
    expect(matching, `the ${document_type} requirement of ${entity_type} ${entity_id}`).to.have.length(1);
    const id = matching[0]!.id as string;
    expect(id).to.match(UUID);
    return { id, case_id, entity_id, entity_type, document_type };
  });
  expect(new Set(found.map((r) => r.id)).size, 'distinct requirement ids').to.equal(found.length);
  return {
    payloads: found.map(({ id, ...r }) => ({ document_requirement_id: id, ...r, is_required: true })),
    readModels: found.map((r) => ({
      ...r,
      status: 'AWAITING_UPLOAD',
      is_required: true,
      metadata: {},
      notes: [],
      created_at: at,
      updated_at: at,
    })),
  };
};

describe('the case pipeline on the real stack', function () {
  this.timeout(90_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  /**
   * Triggers whose names are not unique to this run: other specs (and earlier runs) cache their own
   * rules for them in the harness's Redis database, so their entries are removed before the tests
   * (every case then asks this stub) and again after (this stub's rules are left to no one).
   */
  const sharedTriggers = [
    'CASE_CREATED_KYC_INDIVIDUAL_STANDARD',
    'CASE_CREATED_KYB_COMPANY_STANDARD',
    'CASE_CREATED_KYB_ENHANCED_DUE_DILIGENCE',
  ];
  const forgetSharedRules = async () => {
    const redis = new Redis(HARNESS_REDIS_URL);
    try {
      await redis.del(...sharedTriggers.map(ruleCacheKey));
    } finally {
      redis.disconnect();
    }
  };

  before(async () => {
    stub = await startConfigServiceStub({
      rules: {
        CASE_CREATED_KYC_INDIVIDUAL_STANDARD: [welcome('WELCOME_KYC')],
        CASE_CREATED_KYB_COMPANY_STANDARD: [welcome('WELCOME_KYB')],
        CASE_CREATED_KYB_ENHANCED_DUE_DILIGENCE: [welcome('WELCOME_EDD')],
        [`CASE_CREATED_KYC_INACTIVE_${run}`]: [welcome('OLD', false)],
        [`CASE_CREATED_KYC_FAILING_${run}`]: [welcome('NEVER_SEEN')],
        [`CASE_CREATED_KYC_STALE_${run}`]: [welcome('NEVER_SEEN_EITHER')],
      },
    });
    svc = await new ServiceHarness({ CONFIG_SERVICE_URL: stub.url, DEFAULT_HTTP_TIMEOUT: '1' }).start();
    await forgetSharedRules();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
    await forgetSharedRules();
  });

  afterEach(() => stub.reset());

  /** The read-model documents matching `filter`, without `_id` and the internal `applied` versions. */
  const readModel = async (name: string, filter: Doc): Promise<Doc[]> =>
    (
      await svc.db
        .collection(name)
        .find(filter, { projection: { _id: 0 } })
        .toArray()
    ).map(({ applied: _applied, ...doc }) => doc);

  /** The raw copy of a client message once its processing is complete (it is kept last, after events, read models and notifications). */
  const processedMessage = (client_id: string): Promise<Doc> =>
    waitFor(
      () => svc.db.collection('raw_events').findOne({ 'payload.client_id': client_id, status: 'processed' }, { projection: { _id: 0 } }),
      20_000,
      {
        description: `the message of ${client_id} processed`,
      },
    );

  /**
   * The raw copy is the message as sent, received when Kafka received it (the time its events
   * carry), processed no earlier.
   */
  const expectRawCopy = (raw: Doc, message: unknown, receivedAt: Date) => {
    expect(raw.id).to.match(UUID);
    expect(raw.processed_at).to.be.instanceOf(Date);
    expect((raw.processed_at as Date).getTime()).to.be.at.least(receivedAt.getTime());
    expect(raw).to.deep.equal({
      id: raw.id,
      event_type: 'KAFKA_MESSAGE_RAW_STORED',
      payload: message,
      received_at: receivedAt,
      processed_at: raw.processed_at,
      status: 'processed',
    });
  };

  it('turns a KYC message into one case with its person, two document requirements and a notification, exactly as its events record them', async () => {
    const messageId = `${run}-kyc-1`;
    const message = kyc('kyc-1');
    await svc.sendClientData({ value: message, messageId });
    const raw = await processedMessage('kyc-1');
    const caseId = (await svc.caseOf('kyc-1')).id as string;
    expect(caseId).to.match(UUID);

    const events = await svc.events(caseId);
    expect(typesOf(events)).to.deep.equal([
      'CaseCreated@1',
      'PersonAddedToCase@2',
      'DocumentRequirementDetermined@3',
      'DocumentRequirementDetermined@4',
      'NotificationRequired@5',
    ]);
    const at = events[0]!.timestamp as Date;
    expect(at).to.be.instanceOf(Date);
    const metadata = metadataOf(events, messageId, message);

    const persons = await readModel('persons', { case_id: caseId });
    expect(persons).to.have.length(1);
    const personId = persons[0]!.id as string;
    expect(personId).to.match(UUID);
    const docs = await readModel('document_requirements', { case_id: caseId });
    const requirements = requirementsOf(docs, caseId, at, [
      ['PERSON', personId, 'PASSPORT'],
      ['PERSON', personId, 'PROOF_OF_ADDRESS'],
    ]);

    const caseEvent = streamOf(caseId, at, metadata);
    expect(withoutEventIds(events)).to.deep.equal([
      caseEvent(1, 'CaseCreated', {
        client_id: 'kyc-1',
        case_type: 'INDIVIDUAL_STANDARD',
        case_version: '1.0',
        traitement_type: 'KYC',
        company_id: null,
      }),
      caseEvent(2, 'PersonAddedToCase', {
        person_id: personId,
        firstname: 'John',
        lastname: 'Doe',
        birthdate: '1990-01-15',
        role_in_company: null,
      }),
      caseEvent(3, 'DocumentRequirementDetermined', requirements.payloads[0]!),
      caseEvent(4, 'DocumentRequirementDetermined', requirements.payloads[1]!),
      caseEvent(5, 'NotificationRequired', {
        notification_type: 'EMAIL',
        recipient_details: { case_id: caseId, client_id: 'kyc-1', primary_contact_name: 'John Doe' },
        template_id: 'WELCOME_KYC_V1',
        language_code: 'en',
        context_data: { case_id: caseId, client_name: 'John', case_type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC' },
        provenance: provenanceOf(events, 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD', 'WELCOME_KYC'),
      }),
    ]);

    expect(await readModel('cases', { client_id: 'kyc-1' })).to.deep.equal([
      {
        id: caseId,
        client_id: 'kyc-1',
        version: '1.0',
        type: 'INDIVIDUAL_STANDARD',
        traitement_type: 'KYC',
        company_id: null,
        status: 'OPEN',
        created_at: at,
        updated_at: at,
      },
    ]);
    expect(persons).to.deep.equal([
      {
        id: personId,
        case_id: caseId,
        company_id: null,
        firstname: 'John',
        lastname: 'Doe',
        birthdate: '1990-01-15',
        role_in_company: null,
        created_at: at,
        updated_at: at,
      },
    ]);
    expect(docs).to.have.deep.members(requirements.readModels);
    expect(await readModel('companies', { case_id: caseId })).to.deep.equal([]);
    expect(await readModel('beneficial_owners', { case_id: caseId })).to.deep.equal([]);
    expectRawCopy(raw, message, at);
  });

  /**
   * Sends `kyb(client_id, caseType)` and checks everything it must produce, exactly: the case and
   * company streams, every read model, and the documents asked of each person and of the company.
   */
  const expectKybCase = async (client_id: string, caseType: string, companyDocuments: readonly string[], template: string) => {
    const messageId = `${run}-${client_id}`;
    const message = kyb(client_id, caseType);
    await svc.sendClientData({ value: message, messageId });
    const raw = await processedMessage(client_id);
    const c = await svc.caseOf(client_id);
    const caseId = c.id as string;
    const companyId = c.company_id as string;
    expect(caseId).to.match(UUID);
    expect(companyId).to.be.a('string').and.match(UUID);

    const caseEvents = await svc.events(caseId);
    const requirementCount = 2 + companyDocuments.length;
    expect(typesOf(caseEvents)).to.deep.equal([
      'CaseCreated@1',
      'PersonAddedToCase@2',
      'PersonAddedToCase@3',
      ...Array.from({ length: requirementCount }, (_, i) => `DocumentRequirementDetermined@${4 + i}`),
      `NotificationRequired@${4 + requirementCount}`,
    ]);
    const companyEvents = await svc.events(companyId);
    expect(typesOf(companyEvents)).to.deep.equal([
      'CompanyProfileCreated@1',
      'PersonLinkedToCompany@2',
      'BeneficialOwnerAdded@3',
      'BeneficialOwnerAdded@4',
    ]);
    const at = caseEvents[0]!.timestamp as Date;
    expect(at).to.be.instanceOf(Date);
    const metadata = metadataOf(caseEvents, messageId, message);

    const persons = await readModel('persons', { case_id: caseId });
    expect(persons.map((p) => p.firstname)).to.have.members(['Jane', 'Sam']);
    const jane = persons.find((p) => p.firstname === 'Jane')!.id as string;
    const sam = persons.find((p) => p.firstname === 'Sam')!.id as string;
    const owners = await readModel('beneficial_owners', { case_id: caseId });
    expect(owners.map((o) => o.firstname)).to.have.members(['Ultimate', 'Minor']);
    const ultimate = owners.find((o) => o.firstname === 'Ultimate')!.id as string;
    const minor = owners.find((o) => o.firstname === 'Minor')!.id as string;
    const ids = [caseId, companyId, jane, sam, ultimate, minor];
    for (const id of ids) expect(id).to.match(UUID);
    expect(new Set(ids).size, 'distinct case, company, person and owner ids').to.equal(ids.length);
    const docs = await readModel('document_requirements', { case_id: caseId });
    const requirements = requirementsOf(docs, caseId, at, [
      ['PERSON', jane, 'PASSPORT_DIRECTOR_BO'],
      ['PERSON', sam, 'PASSPORT_DIRECTOR_BO'],
      ...companyDocuments.map((type): Wanted => ['COMPANY', companyId, type]),
    ]);

    const caseEvent = streamOf(caseId, at, metadata);
    expect(withoutEventIds(caseEvents)).to.deep.equal([
      caseEvent(1, 'CaseCreated', { client_id, case_type: caseType, case_version: '1.0', traitement_type: 'KYB', company_id: companyId }),
      caseEvent(2, 'PersonAddedToCase', {
        person_id: jane,
        firstname: 'Jane',
        lastname: 'Director',
        birthdate: '1985-03-20',
        role_in_company: 'Director',
      }),
      caseEvent(3, 'PersonAddedToCase', {
        person_id: sam,
        firstname: 'Sam',
        lastname: 'Assistant',
        birthdate: null,
        role_in_company: null,
      }),
      ...requirements.payloads.map((payload, i) => caseEvent(4 + i, 'DocumentRequirementDetermined', payload)),
      caseEvent(4 + requirementCount, 'NotificationRequired', {
        notification_type: 'EMAIL',
        recipient_details: { case_id: caseId, client_id, primary_contact_name: 'Jane Director' },
        template_id: template,
        language_code: 'en',
        context_data: { case_id: caseId, client_name: 'Jane', case_type: caseType, traitement_type: 'KYB' },
        provenance: provenanceOf(caseEvents, `CASE_CREATED_KYB_${caseType}`, template.replace(/_V1$/, '')),
      }),
    ]);
    const companyEvent = streamOf(companyId, at, metadata);
    expect(withoutEventIds(companyEvents)).to.deep.equal([
      companyEvent(1, 'CompanyProfileCreated', { ...kybCompanyFields, case_id: caseId }),
      companyEvent(2, 'PersonLinkedToCompany', {
        case_id: caseId,
        person_id: jane,
        firstname: 'Jane',
        lastname: 'Director',
        birthdate: '1985-03-20',
        role_in_company: 'Director',
      }),
      companyEvent(3, 'BeneficialOwnerAdded', {
        case_id: caseId,
        beneficial_owner_id: ultimate,
        person_details: { firstname: 'Ultimate', lastname: 'Owner', birthdate: '1975-11-10', role_in_company: null },
        ownership_percentage: 75,
        types_of_control: ['SHAREHOLDING_OVER_25'],
        is_ubo: true,
      }),
      companyEvent(4, 'BeneficialOwnerAdded', {
        case_id: caseId,
        beneficial_owner_id: minor,
        person_details: { firstname: 'Minor', lastname: 'Holder', birthdate: null, role_in_company: null },
        ownership_percentage: 25,
        types_of_control: [],
        is_ubo: false,
      }),
    ]);

    const stamped = { created_at: at, updated_at: at };
    expect(await readModel('cases', { client_id })).to.deep.equal([
      { id: caseId, client_id, version: '1.0', type: caseType, traitement_type: 'KYB', company_id: companyId, status: 'OPEN', ...stamped },
    ]);
    expect(await readModel('companies', { case_id: caseId })).to.deep.equal([
      { id: companyId, case_id: caseId, ...kybCompanyFields, ...stamped },
    ]);
    expect(persons).to.have.deep.members([
      {
        id: jane,
        case_id: caseId,
        company_id: companyId,
        firstname: 'Jane',
        lastname: 'Director',
        birthdate: '1985-03-20',
        role_in_company: 'Director',
        ...stamped,
      },
      {
        id: sam,
        case_id: caseId,
        company_id: null,
        firstname: 'Sam',
        lastname: 'Assistant',
        birthdate: null,
        role_in_company: null,
        ...stamped,
      },
    ]);
    expect(owners).to.have.deep.members([
      {
        id: ultimate,
        company_id: companyId,
        case_id: caseId,
        firstname: 'Ultimate',
        lastname: 'Owner',
        birthdate: '1975-11-10',
        ownership_percentage: 75,
        types_of_control: ['SHAREHOLDING_OVER_25'],
        is_ubo: true,
        ...stamped,
      },
      {
        id: minor,
        company_id: companyId,
        case_id: caseId,
        firstname: 'Minor',
        lastname: 'Holder',
        birthdate: null,
        ownership_percentage: 25,
        types_of_control: [],
        is_ubo: false,
        ...stamped,
      },
    ]);
    expect(await readModel('beneficial_owners', { company_id: companyId })).to.have.deep.members(owners);
    expect(docs).to.have.deep.members(requirements.readModels);
    expectRawCopy(raw, message, at);
  };

  it('turns a KYB message into a case and a company with persons (with and without a role), beneficial owners and their documents, exactly as its events record them', async () => {
    await expectKybCase('kyb-1', 'COMPANY_STANDARD', ['COMPANY_REGISTRATION_CERTIFICATE', 'ARTICLES_OF_ASSOCIATION'], 'WELCOME_KYB_V1');
  });

  it('asks a KYB enhanced-due-diligence company for audited financial statements too, and each person for a director/owner passport', async () => {
    await expectKybCase(
      'kyb-edd',
      'ENHANCED_DUE_DILIGENCE',
      ['COMPANY_REGISTRATION_CERTIFICATE', 'ARTICLES_OF_ASSOCIATION', 'FINANCIAL_STATEMENTS_AUDITED'],
      'WELCOME_EDD_V1',
    );
  });

  it('publishes one NotificationRequired keyed by the case id when an active rule matches', async () => {
    await svc.sendClientData({ value: kyc('kyc-notify'), messageId: `${run}-kyc-notify` });
    const caseId = (await svc.caseOf('kyc-notify')).id as string;
    const stored = await waitFor(() =>
      svc.db.collection('domain_events').findOne({ aggregate_id: caseId, event_type: 'NotificationRequired' }),
    );
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
    await waitFor(
      async () => (await svc.db.collection('notification_outbox').countDocuments({ _id: stored.event_id } as object)) === 0,
      10_000,
      {
        description: 'the acknowledgement (the notification leaves the outbox)',
      },
    );
  });

  const expectNoNotification = async (client_id: string) => {
    const caseId = (await svc.caseOf(client_id)).id as string;
    await waitFor(() => svc.db.collection('raw_events').findOne({ 'payload.client_id': client_id, status: 'processed' }));
    expect(await svc.db.collection('domain_events').countDocuments({ aggregate_id: caseId, event_type: 'NotificationRequired' })).to.equal(
      0,
    );
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
      const n = await waitFor(() =>
        svc.db.collection('domain_events').findOne({ aggregate_id: caseId, event_type: 'NotificationRequired' }),
      );
      expect(n.payload).to.include({ template_id: 'CACHED_RULE_V1' });
    } finally {
      await redis.del(ruleCacheKey(trigger));
      redis.disconnect();
    }
  });

  it('dead-letters a rejected message with its reasons, original value and source position', async () => {
    const bad = { client_id: 'kyb-bad', version: '2.0', type: 'COMPANY_STANDARD', traitement_type: 'KYB', persons: [{ firstname: 'No' }] };
    await svc.sendClientData({ value: bad, messageId: `${run}-bad`, key: 'some-key' });
    const letter = await waitFor(() => svc.deadLetters.find((d) => d.headers['message-id'] === `${run}-bad`), 20_000, {
      description: 'the dead letter',
    });
    expect(letter.key).to.equal('some-key');
    expect(JSON.parse(letter.value!)).to.deep.equal(bad);
    expect(letter.headers['x-source-topic']).to.equal(svc.env.KAFKA_TOPIC_NAME);
    expect(letter.headers['x-source-partition']).to.match(/^\d+$/);
    expect(letter.headers['x-source-offset']).to.match(/^\d+$/);
    expect(letter.headers['x-error-reason']).to.contain('$.version must be exactly "1.0"');
    const details = JSON.parse(letter.headers['x-error-details']!) as { path: string; rule: string }[];
    expect(details.map((d) => d.path)).to.have.members(['$.version', '$.persons[0].lastname', '$.company_profile']);
    const raw = await waitFor(() => svc.db.collection('raw_events').findOne({ 'payload.client_id': 'kyb-bad' }));
    expect(raw).to.include({ status: 'rejected' });
  });

  /** Everything casestream keeps about one KYB client's case: its events, read models, raw copies and the outbox. */
  const everythingAbout = async (client_id: string, caseId: string, companyId: string) => {
    const all = (name: string, filter: Doc) => svc.db.collection(name).find(filter).sort({ _id: 1 }).toArray();
    return {
      caseEvents: await svc.events(caseId),
      companyEvents: await svc.events(companyId),
      cases: await all('cases', { client_id }),
      companies: await all('companies', { case_id: caseId }),
      persons: await all('persons', { case_id: caseId }),
      beneficial_owners: await all('beneficial_owners', { case_id: caseId }),
      document_requirements: await all('document_requirements', { case_id: caseId }),
      raw_events: await all('raw_events', { 'payload.client_id': client_id }),
      outbox: await all('notification_outbox', {}),
    };
  };

  it('creates nothing twice, and changes nothing, when the same message is delivered twice', async () => {
    const kafka = await new KafkaPositions().connect();
    try {
      const group = svc.env.KAFKA_CONSUMER_GROUP_ID;
      const topic = svc.env.KAFKA_TOPIC_NAME;
      const message = { key: 'kyb-twice', value: kyb('kyb-twice'), messageId: `${run}-twice` };
      const first = await kafka.send(topic, message);
      const c = await svc.caseOf('kyb-twice');
      const caseId = c.id as string;
      const companyId = c.company_id as string;
      await waitFor(() => kafka.isComplete(group, topic, first), 20_000, {
        description: 'the first delivery complete (its offset committed)',
      });
      await waitFor(() => svc.notifications.some((n) => n.key === caseId), 20_000, { description: 'the first notification' });
      // Nothing else in flight and no notification waiting in the outbox: from here on, only the
      // second delivery can change anything.
      await waitFor(() => kafka.caughtUp(group, [topic, svc.env.KAFKA_COMMAND_TOPIC]), 20_000, {
        description: 'every message sent so far complete',
      });
      await waitFor(async () => (await svc.db.collection('notification_outbox').countDocuments()) === 0, 10_000, {
        description: 'an empty outbox',
      });

      const everything = () => everythingAbout('kyb-twice', caseId, companyId);
      const before = await everything();
      const notificationsWritten = await kafka.ends(svc.env.NOTIFICATION_KAFKA_TOPIC);
      const deadLettersWritten = await kafka.ends(svc.env.KAFKA_DLQ_TOPIC);

      const again = await kafka.send(topic, message);
      expect(again.partition, 'the redelivery is on the same partition').to.equal(first.partition);
      expect(again.offset > first.offset, 'the redelivery comes later on it').to.equal(true);
      await waitFor(() => kafka.isComplete(group, topic, again), 20_000, {
        description: 'the second delivery complete (its offset committed)',
      });

      expect(await everything()).to.deep.equal(before);
      expect(await kafka.ends(svc.env.NOTIFICATION_KAFKA_TOPIC), 'notifications published').to.deep.equal(notificationsWritten);
      expect(await kafka.ends(svc.env.KAFKA_DLQ_TOPIC), 'dead letters written').to.deep.equal(deadLettersWritten);
      expect(await svc.db.collection('cases').countDocuments({ client_id: 'kyb-twice' })).to.equal(1);
      expect((await svc.events(caseId)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      expect((await svc.events(companyId)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4]);
      expect(await svc.db.collection('companies').countDocuments({ case_id: caseId })).to.equal(1);
      expect(await svc.db.collection('persons').countDocuments({ case_id: caseId })).to.equal(2);
      expect(await svc.db.collection('beneficial_owners').countDocuments({ case_id: caseId })).to.equal(2);
      expect(await svc.db.collection('document_requirements').countDocuments({ case_id: caseId })).to.equal(4);
      expect(await svc.db.collection('raw_events').countDocuments({ 'payload.client_id': 'kyb-twice' })).to.equal(1);
      const notificationIds = new Set(
        svc.notifications.filter((n) => n.key === caseId).map((n) => (JSON.parse(n.value!) as { event_id: string }).event_id),
      );
      expect(notificationIds.size).to.equal(1);
    } finally {
      await kafka.close();
    }
  });

  it('dead-letters a second message under the same message-id with other content, and changes nothing else', async () => {
    const kafka = await new KafkaPositions().connect();
    try {
      const group = svc.env.KAFKA_CONSUMER_GROUP_ID;
      const topic = svc.env.KAFKA_TOPIC_NAME;
      const messageId = `${run}-reused`;
      const first = await kafka.send(topic, { key: 'kyb-reused', value: kyb('kyb-reused'), messageId });
      const c = await svc.caseOf('kyb-reused');
      const caseId = c.id as string;
      await waitFor(() => kafka.isComplete(group, topic, first), 20_000, {
        description: 'the first message complete (its offset committed)',
      });
      await waitFor(() => kafka.caughtUp(group, [topic, svc.env.KAFKA_COMMAND_TOPIC]), 20_000, {
        description: 'every message sent so far complete',
      });
      await waitFor(async () => (await svc.db.collection('notification_outbox').countDocuments()) === 0, 10_000, {
        description: 'an empty outbox',
      });
      const everything = () => everythingAbout('kyb-reused', caseId, c.company_id as string);
      const before = await everything();
      const notificationsWritten = await kafka.ends(svc.env.NOTIFICATION_KAFKA_TOPIC);

      // Another client's onboarding, with one person more, under the message-id of the first.
      const other = { ...kyb('kyb-reused'), persons: [...kybPersons(), { firstname: 'Late', lastname: 'Comer', birthdate: null }] };
      const second = await kafka.send(topic, { key: 'kyb-reused', value: other, messageId });
      await waitFor(() => kafka.isComplete(group, topic, second), 20_000, {
        description: 'the second message complete (its offset committed)',
      });

      const letter = await waitFor(() => svc.deadLetters.find((d) => d.headers['message-id'] === messageId), 20_000, {
        description: 'the dead letter',
      });
      expect(letter.headers['x-error-reason']).to.contain('message-id reused for different content');
      expect(letter.headers['x-source-offset']).to.equal(String(second.offset));
      expect(JSON.parse(letter.value!)).to.deep.equal(other);
      expect(await everything()).to.deep.equal(before);
      expect(await kafka.ends(svc.env.NOTIFICATION_KAFKA_TOPIC), 'notifications published').to.deep.equal(notificationsWritten);
      const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
      expect(metrics).to.match(
        new RegExp(`^casestream_idempotency_key_reused_total\\{topic="${topic}",partition="${second.partition}"\\} 1$`, 'm'),
      );
    } finally {
      await kafka.close();
    }
  });

  it('applies two messages for one case in order: requirements determined, then a status change', async () => {
    await svc.sendClientData({ value: kyc('kyc-commands', `NO_RULE_${run}`), messageId: `${run}-commands` });
    const caseId = (await svc.caseOf('kyc-commands')).id as string;
    const person = await waitFor(() => svc.db.collection('persons').findOne({ case_id: caseId }));
    const doc = await waitFor(() => svc.db.collection('document_requirements').findOne({ case_id: caseId, document_type: 'PASSPORT' }));
    await svc.sendCommand(
      {
        key: caseId,
        value: {
          command_type: 'DetermineDocumentRequirements',
          command_id: `${run}-c1`,
          case_id: caseId,
          entity_id: person.id,
          entity_type: 'PERSON',
        },
      },
      {
        key: caseId,
        value: {
          command_type: 'UpdateDocumentStatus',
          command_id: `${run}-c2`,
          case_id: caseId,
          document_requirement_id: doc.id,
          new_status: 'UPLOADED',
          updated_by_actor_type: 'USER',
          notes_to_add: ['scan received'],
        },
      },
      {
        key: caseId,
        value: {
          command_type: 'UpdateDocumentStatus',
          command_id: `${run}-c3`,
          case_id: caseId,
          document_requirement_id: doc.id,
          new_status: 'VERIFIED_MANUAL',
          updated_by_actor_id: 'agent-7',
          metadata_changes: { checked: true },
        },
      },
      {
        key: caseId,
        value: {
          command_type: 'UpdateDocumentStatus',
          command_id: `${run}-c4`,
          case_id: caseId,
          document_requirement_id: doc.id,
          new_status: 'VERIFIED_MANUAL',
        },
      },
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
      value: {
        command_type: 'UpdateDocumentStatus',
        command_id: `${run}-c9`,
        case_id: caseId,
        document_requirement_id: 'no-such-doc',
        new_status: 'UPLOADED',
      },
    });
    const letter = await waitFor(
      () => svc.deadLetters.find((d) => d.headers['x-source-topic'] === svc.env.KAFKA_COMMAND_TOPIC && d.key === caseId),
      20_000,
    );
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
