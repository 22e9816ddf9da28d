import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { HARNESS_REDIS_URL, ServiceHarness } from '../../support/serviceHarness.js';
import { CONFIG_SERVICE_URL, waitFor } from '../../support/stack.js';
import { kybOwners, kybPersons } from '../../support/kybParties.js';

/** At least MIN_API_TOKEN_LENGTH characters: the settings refuse shorter tokens. */
const TOKEN = 'test-token-7f3a-0123456789abcdef0123';

/** Fresh client ids on every run, so a rerun never meets the data of an earlier one. */
const run = randomBytes(4).toString('hex');
const KYC_CLIENT = `api-kyc-${run}`;
const KYB_CLIENT = `api-kyb-${run}`;
const KYB_AGAIN_CLIENT = `api-kyb-again-${run}`;
const DEAD_CLIENT = `api-v2-${run}`;

/**
 * Rules the stack's Configuration Service stub serves from config/notification-rules.json: both have an
 * active welcome-email rule. Their Redis cache entries are removed before the run so the first case of
 * each asks the service, whatever an earlier run left in the harness's Redis database.
 */
const KYC_TRIGGER = 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD';
const KYB_TRIGGER = 'CASE_CREATED_KYB_COMPANY_STANDARD';

const kycMessage = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: 'INDIVIDUAL_STANDARD',
  traitement_type: 'KYC',
  persons: [{ firstname: 'Alice', lastname: 'Martin', birthdate: '1990-01-15' }],
});

const kybMessage = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: 'COMPANY_STANDARD',
  traitement_type: 'KYB',
  company_profile: {
    registered_name: 'Api Test Corp Ltd',
    trading_name: 'ApiCorp',
    registration_number: `R-${run}`,
    registration_date: '2015-06-01',
    country_of_incorporation: 'GB',
    registered_address: { street: '1 Business Park', city: 'London', country: 'GB', postal_code: 'E14 5HQ' },
    business_type: 'LTD',
    industry_sector: 'Finance',
  },
  persons: kybPersons(),
  beneficial_owners: kybOwners(),
});

type Json = Record<string, unknown>;

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
  readonly body: unknown;
}

/** The body as one JSON object (fails the test when it is not). */
const objectOf = (r: Answer): Json => {
  expect(r.body, r.text).to.be.an('object').and.not.be.an('array');
  return r.body as Json;
};

/** The body as a JSON array of objects (fails the test when it is not). */
const listOf = (r: Answer): Json[] => {
  expect(r.body, r.text).to.be.an('array');
  return r.body as Json[];
};

describe('the running service over HTTP', function () {
  this.timeout(120_000);
  let svc: ServiceHarness;
  const ids = { kycCase: '', kybCase: '', kybAgainCase: '', company: '' };

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<Answer> => {
    const response = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, headers: response.headers, body: parsed };
  };

  /** Waits until the raw copy of a client message is kept (the last step of its processing). */
  const rawEventOf = (client_id: string): Promise<Json> =>
    waitFor(
      async () =>
        listOf(await call('GET', '/api/v1/events/raw?limit=500')).find((e) => (e.payload as Json | undefined)?.client_id === client_id),
      20_000,
      { description: `the raw event of ${client_id}` },
    );

  /** Sends a client message and waits until it is completely processed, so the next one is strictly newer. */
  const processMessage = async (value: Json): Promise<Json> => {
    await svc.sendClientData({ value, messageId: `${String(value.client_id)}-msg` });
    return rawEventOf(value.client_id as string);
  };

  const metricValue = (metrics: string, name: string, labels = ''): number =>
    metrics
      .split('\n')
      .filter((l) => !l.startsWith('#') && (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(labels))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

  before(async () => {
    const redis = new Redis(HARNESS_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.del(ruleCacheKey(KYC_TRIGGER), ruleCacheKey(KYB_TRIGGER));
    } finally {
      redis.disconnect();
    }
    svc = await new ServiceHarness({ API_TOKEN: TOKEN, CONFIG_SERVICE_URL }).start();
    await waitFor(async () => (await call('GET', '/health/ready', undefined, null)).status === 200, 20_000, { description: 'readiness' });

    // One after the other: each case is strictly newer than the one before it.
    await processMessage(kycMessage(KYC_CLIENT));
    ids.kycCase = (await svc.caseOf(KYC_CLIENT)).id as string;
    await processMessage(kybMessage(KYB_CLIENT));
    const kyb = await svc.caseOf(KYB_CLIENT);
    ids.kybCase = kyb.id as string;
    ids.company = kyb.company_id as string;
    await processMessage(kybMessage(KYB_AGAIN_CLIENT));
    ids.kybAgainCase = (await svc.caseOf(KYB_AGAIN_CLIENT)).id as string;
    // An unsupported schema version: rejected to the dead-letter topic.
    await processMessage({ ...kycMessage(DEAD_CLIENT), version: '2.0' });
  });

  after(async () => {
    await svc?.stop();
  });

  it('is live, ready and healthy, reporting every component up', async () => {
    const live = await call('GET', '/health/live', undefined, null);
    expect(live.status).to.equal(200);
    expect(live.body).to.deep.equal({ status: 'ok' });
    const ready = await call('GET', '/health/ready', undefined, null);
    expect(ready.status).to.equal(200);
    expect(ready.body).to.deep.equal({ status: 'ready' });
    const health = await call('GET', '/health', undefined, null);
    expect(health.status, health.text).to.equal(200);
    expect(objectOf(health).status, health.text).to.equal('ok');
    expect(objectOf(health).components).to.deep.equal({
      kafka: { status: 'up' },
      mongodb: { status: 'up' },
      redis: { status: 'up' },
      config_service: { status: 'up' },
    });
  });

  it('serves its OpenAPI description to a caller with the token, documenting every route', async () => {
    expect((await call('GET', '/openapi.json', undefined, null)).status).to.equal(401);
    const doc = await call('GET', '/openapi.json');
    expect(doc.status).to.equal(200);
    expect(doc.headers.get('content-type')).to.match(/^application\/json/);
    const body = objectOf(doc);
    expect(body.openapi).to.equal('3.0.3');
    expect((body.info as Json).title).to.equal('casestream API');
    const paths = body.paths as Record<string, Json>;
    expect(Object.keys(paths)).to.include.members([
      '/api/v1/cases',
      '/api/v1/cases/{case_id}',
      '/api/v1/cases/{case_id}/events',
      '/api/v1/persons/case/{case_id}',
      '/api/v1/companies/{company_id}',
      '/api/v1/companies/{company_id}/beneficial-owners',
      '/api/v1/documents/{document_requirement_id}',
      '/api/v1/documents/case/{case_id}',
      '/api/v1/events/raw',
      '/api/v1/documents/determine-requirements',
      '/api/v1/documents/{document_requirement_id}/status',
      '/api/v1/commands/{command_id}',
      '/health',
      '/health/live',
      '/health/ready',
      '/metrics',
      '/openapi.json',
    ]);
    expect(Object.keys(paths['/api/v1/documents/{document_requirement_id}/status']!)).to.deep.equal(['put']);
    expect(Object.keys(paths['/api/v1/documents/determine-requirements']!)).to.deep.equal(['post']);
  });

  it('lists cases newest first, one page at a time with limit and skip', async () => {
    const all = await call('GET', '/api/v1/cases');
    expect(all.status, all.text).to.equal(200);
    expect(listOf(all).map((c) => c.id)).to.deep.equal([ids.kybAgainCase, ids.kybCase, ids.kycCase]);
    expect(listOf(all).map((c) => c.client_id)).to.deep.equal([KYB_AGAIN_CLIENT, KYB_CLIENT, KYC_CLIENT]);
    for (const c of listOf(all)) {
      expect(c).to.not.have.any.keys('_id', 'applied');
      expect(c.status).to.equal('OPEN');
    }

    const first = await call('GET', '/api/v1/cases?limit=2');
    expect(first.status).to.equal(200);
    expect(listOf(first).map((c) => c.id)).to.deep.equal([ids.kybAgainCase, ids.kybCase]);
    const second = await call('GET', '/api/v1/cases?limit=2&skip=2');
    expect(second.status).to.equal(200);
    expect(listOf(second).map((c) => c.id)).to.deep.equal([ids.kycCase]);
    const middle = await call('GET', '/api/v1/cases?limit=1&skip=1');
    expect(listOf(middle).map((c) => c.id)).to.deep.equal([ids.kybCase]);
    const beyond = await call('GET', '/api/v1/cases?skip=3');
    expect(beyond.status).to.equal(200);
    expect(beyond.body).to.deep.equal([]);
  });

  it('shows one case by its id, and answers 404 for a case that does not exist', async () => {
    const kyb = await call('GET', `/api/v1/cases/${ids.kybCase}`);
    expect(kyb.status, kyb.text).to.equal(200);
    expect(objectOf(kyb)).to.include({
      id: ids.kybCase,
      client_id: KYB_CLIENT,
      version: '1.0',
      type: 'COMPANY_STANDARD',
      traitement_type: 'KYB',
      company_id: ids.company,
      status: 'OPEN',
    });
    expect(objectOf(kyb)).to.include.keys('created_at', 'updated_at');
    expect(objectOf(kyb)).to.not.have.any.keys('_id', 'applied');

    const kyc = await call('GET', `/api/v1/cases/${ids.kycCase}`);
    expect(objectOf(kyc)).to.include({ id: ids.kycCase, client_id: KYC_CLIENT, traitement_type: 'KYC', company_id: null });

    const missing = await call('GET', `/api/v1/cases/no-such-case-${run}`);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'case not found' });
  });

  it('shows the persons of a KYB case, the director linked to its company', async () => {
    const persons = await call('GET', `/api/v1/persons/case/${ids.kybCase}`);
    expect(persons.status, persons.text).to.equal(200);
    const byName = listOf(persons)
      .map((p) => [p.firstname, p.lastname, p.role_in_company, p.company_id, p.case_id])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byName).to.deep.equal([
      ['Jane', 'Director', 'Director', ids.company, ids.kybCase],
      ['Sam', 'Assistant', null, null, ids.kybCase],
    ]);
    const none = await call('GET', `/api/v1/persons/case/no-such-case-${run}`);
    expect(none.status).to.equal(200);
    expect(none.body).to.deep.equal([]);
  });

  it('shows the company of a KYB case, and answers 404 for a company that does not exist', async () => {
    const company = await call('GET', `/api/v1/companies/${ids.company}`);
    expect(company.status, company.text).to.equal(200);
    expect(objectOf(company)).to.deep.include({
      id: ids.company,
      case_id: ids.kybCase,
      registered_name: 'Api Test Corp Ltd',
      trading_name: 'ApiCorp',
      registration_number: `R-${run}`,
      registration_date: '2015-06-01',
      country_of_incorporation: 'GB',
      business_type: 'LTD',
      industry_sector: 'Finance',
    });
    expect(objectOf(company).registered_address).to.deep.include({
      street: '1 Business Park',
      city: 'London',
      country: 'GB',
      postal_code: 'E14 5HQ',
    });
    expect(objectOf(company)).to.not.have.any.keys('_id', 'applied');

    const missing = await call('GET', `/api/v1/companies/no-such-company-${run}`);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'company not found' });
  });

  it('lists the beneficial owners of a company with their ownership and control, none for an unknown company', async () => {
    const owners = await call('GET', `/api/v1/companies/${ids.company}/beneficial-owners`);
    expect(owners.status, owners.text).to.equal(200);
    const rows = listOf(owners)
      .map((o) => [o.firstname, o.lastname, o.ownership_percentage, o.types_of_control, o.is_ubo, o.company_id, o.case_id])
      .sort((a, b) => Number(b[2]) - Number(a[2]));
    expect(rows).to.deep.equal([
      ['Ultimate', 'Owner', 75, ['SHAREHOLDING_OVER_25'], true, ids.company, ids.kybCase],
      ['Minor', 'Holder', 25, [], false, ids.company, ids.kybCase],
    ]);
    const none = await call('GET', `/api/v1/companies/no-such-company-${run}/beneficial-owners`);
    expect(none.status).to.equal(200);
    expect(none.body).to.deep.equal([]);
  });

  it('filters the document requirements of a case by entity, entity type, status and whether they are required', async () => {
    const path = `/api/v1/documents/case/${ids.kybCase}`;
    const all = listOf(await call('GET', path));
    expect(all.map((d) => `${String(d.entity_type)}:${String(d.document_type)}`).sort()).to.deep.equal([
      'COMPANY:ARTICLES_OF_ASSOCIATION',
      'COMPANY:COMPANY_REGISTRATION_CERTIFICATE',
      'PERSON:PASSPORT_DIRECTOR_BO',
      'PERSON:PASSPORT_DIRECTOR_BO',
    ]);
    expect(all.every((d) => d.case_id === ids.kybCase && d.status === 'AWAITING_UPLOAD' && d.is_required === true)).to.equal(true);

    const companyDocs = await call('GET', `${path}?entity_type=COMPANY`);
    expect(companyDocs.status, companyDocs.text).to.equal(200);
    expect(
      listOf(companyDocs)
        .map((d) => [d.entity_id, d.document_type])
        .sort(),
    ).to.deep.equal([
      [ids.company, 'ARTICLES_OF_ASSOCIATION'],
      [ids.company, 'COMPANY_REGISTRATION_CERTIFICATE'],
    ]);

    const persons = listOf(await call('GET', `/api/v1/persons/case/${ids.kybCase}`));
    const jane = persons.find((p) => p.firstname === 'Jane')!;
    const janeDocs = await call('GET', `${path}?entity_id=${encodeURIComponent(String(jane.id))}&entity_type=PERSON`);
    expect(janeDocs.status, janeDocs.text).to.equal(200);
    expect(listOf(janeDocs).map((d) => [d.entity_id, d.entity_type, d.document_type])).to.deep.equal([
      [jane.id, 'PERSON', 'PASSPORT_DIRECTOR_BO'],
    ]);

    const awaitingRequired = await call('GET', `${path}?status=AWAITING_UPLOAD&is_required=true`);
    expect(listOf(awaitingRequired)).to.have.length(4);
    const optional = await call('GET', `${path}?is_required=false`);
    expect(optional.status).to.equal(200);
    expect(optional.body).to.deep.equal([]);
    const uploaded = await call('GET', `${path}?status=UPLOADED`);
    expect(uploaded.status).to.equal(200);
    expect(uploaded.body).to.deep.equal([]);
    const otherEntity = await call('GET', `${path}?entity_id=${encodeURIComponent(ids.company)}&entity_type=PERSON`);
    expect(otherEntity.body).to.deep.equal([]);
  });

  it('shows one document requirement by its id, and answers 404 for one that does not exist', async () => {
    const [first] = listOf(await call('GET', `/api/v1/documents/case/${ids.kybCase}?entity_type=COMPANY`));
    const one = await call('GET', `/api/v1/documents/${String(first!.id)}`);
    expect(one.status, one.text).to.equal(200);
    expect(objectOf(one)).to.deep.include({
      id: first!.id,
      case_id: ids.kybCase,
      entity_id: ids.company,
      entity_type: 'COMPANY',
      document_type: first!.document_type,
      status: 'AWAITING_UPLOAD',
      is_required: true,
      metadata: {},
      notes: [],
    });
    expect(objectOf(one)).to.not.have.any.keys('_id', 'applied');

    const missing = await call('GET', `/api/v1/documents/no-such-requirement-${run}`);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'document requirement not found' });
  });

  it('lists the client messages as received, newest first, the rejected one with its reason', async () => {
    const newest = await call('GET', '/api/v1/events/raw?limit=1');
    expect(newest.status, newest.text).to.equal(200);
    const [dead] = listOf(newest);
    expect(dead).to.include({ event_type: 'KAFKA_MESSAGE_RAW_STORED', status: 'rejected' });
    expect(dead!.payload).to.deep.include({ client_id: DEAD_CLIENT, version: '2.0' });
    expect((dead!.error as Json).reason)
      .to.be.a('string')
      .and.contain('version');
    expect((dead!.error as Json).details).to.deep.include({ path: '$.version', rule: 'must be exactly "1.0"' });
    expect(dead).to.not.have.any.keys('_id');

    const rest = await call('GET', '/api/v1/events/raw?limit=10&skip=1');
    expect(rest.status).to.equal(200);
    expect(listOf(rest).map((e) => [(e.payload as Json).client_id, e.status])).to.deep.equal([
      [KYB_AGAIN_CLIENT, 'processed'],
      [KYB_CLIENT, 'processed'],
      [KYC_CLIENT, 'processed'],
    ]);
    expect(listOf(rest).every((e) => e.error === undefined)).to.equal(true);
    const beyond = await call('GET', '/api/v1/events/raw?skip=4');
    expect(beyond.body).to.deep.equal([]);
  });

  it('takes a command through the pipeline: 202, then processed with its event ids, or rejected with the reason', async () => {
    const docs = listOf(await call('GET', `/api/v1/documents/case/${ids.kycCase}`));
    expect(docs.map((d) => d.document_type).sort()).to.deep.equal(['PASSPORT', 'PROOF_OF_ADDRESS']);
    const passport = docs.find((d) => d.document_type === 'PASSPORT')!;

    const accepted = await call('PUT', `/api/v1/documents/${String(passport.id)}/status`, {
      new_status: 'UPLOADED',
      metadata_changes: { file_name: 'passport.pdf' },
      notes_to_add: ['scanned copy'],
    });
    expect(accepted.status, accepted.text).to.equal(202);
    const commandId = objectOf(accepted).command_id as string;
    expect(commandId).to.be.a('string').and.not.be.empty;
    expect(accepted.headers.get('location')).to.equal(`/api/v1/commands/${encodeURIComponent(commandId)}`);
    const processed = await waitFor(
      async () => {
        const r = await call('GET', `/api/v1/commands/${commandId}`);
        return objectOf(r).status === 'processed' ? objectOf(r) : null;
      },
      20_000,
      { description: 'the processed command' },
    );
    expect(processed.event_ids).to.have.length(1);
    const eventId = (processed.event_ids as string[])[0]!;

    const events = listOf(await call('GET', `/api/v1/cases/${ids.kycCase}/events`));
    expect(events.map((e) => e.version)).to.deep.equal(events.map((_, i) => i + 1));
    const updated = events.find((e) => e.event_id === eventId)!;
    expect(updated).to.include({ event_type: 'DocumentStatusUpdated', aggregate_id: ids.kycCase });
    // API_TOKEN is the actor named api-token
    expect(updated.payload).to.deep.include({ document_requirement_id: passport.id, new_status: 'UPLOADED', updated_by: 'api-token' });
    expect(events[0]).to.include({ event_type: 'CaseCreated', aggregate_id: ids.kycCase, version: 1 });

    const afterUpdate = await waitFor(
      async () => {
        const r = objectOf(await call('GET', `/api/v1/documents/${String(passport.id)}`));
        return r.status === 'UPLOADED' ? r : null;
      },
      20_000,
      { description: 'the uploaded passport' },
    );
    expect(afterUpdate.metadata).to.deep.equal({ file_name: 'passport.pdf' });
    expect(afterUpdate.notes).to.deep.equal(['scanned copy']);
    const uploaded = listOf(await call('GET', `/api/v1/documents/case/${ids.kycCase}?status=UPLOADED`));
    expect(uploaded.map((d) => d.id)).to.deep.equal([passport.id]);

    const [person] = listOf(await call('GET', `/api/v1/persons/case/${ids.kycCase}`));
    const again = await call('POST', '/api/v1/documents/determine-requirements', {
      case_id: ids.kycCase,
      entity_id: `${String(person!.id)}-not-a-person`,
      entity_type: 'PERSON',
    });
    expect(again.status, again.text).to.equal(202);
    const rejected = await waitFor(
      async () => {
        const r = await call('GET', `/api/v1/commands/${String(objectOf(again).command_id)}`);
        return objectOf(r).status === 'rejected' ? objectOf(r) : null;
      },
      20_000,
      { description: 'the rejected command' },
    );
    expect(rejected.reason).to.contain('unknown person');
  });

  it('answers 404 for an unknown command, an unknown route, and commands about a case or requirement that does not exist', async () => {
    const command = await call('GET', `/api/v1/commands/no-such-command-${run}`);
    expect(command.status).to.equal(404);
    expect(command.body).to.deep.equal({ detail: 'command not found' });

    const route = await call('GET', '/api/v1/no-such-route');
    expect(route.status).to.equal(404);
    expect(route.body).to.deep.equal({ detail: 'not found' });

    const status = await call('PUT', `/api/v1/documents/no-such-requirement-${run}/status`, { new_status: 'UPLOADED' });
    expect(status.status, status.text).to.equal(404);
    expect(status.body).to.deep.equal({ detail: 'document requirement not found' });

    const determine = await call('POST', '/api/v1/documents/determine-requirements', {
      case_id: `no-such-case-${run}`,
      entity_id: 'someone',
      entity_type: 'PERSON',
    });
    expect(determine.status, determine.text).to.equal(404);
    expect(determine.body).to.deep.equal({ detail: 'case not found' });
  });

  it('refuses bad query parameters and bodies with 422, naming every failing field', async () => {
    const detailOf = (r: Answer) => {
      expect(r.status, r.text).to.equal(422);
      return objectOf(r).detail as { path: string; rule: string }[];
    };
    const paths = (r: Answer) => detailOf(r).map((d) => d.path);

    expect(paths(await call('GET', '/api/v1/cases?limit=-1'))).to.deep.equal(['$.query.limit']);
    expect(detailOf(await call('GET', '/api/v1/cases?limit=0'))).to.deep.equal([
      { path: '$.query.limit', rule: 'must be an integer from 1 to 500' },
    ]);
    expect(paths(await call('GET', '/api/v1/cases?limit=501&skip=x'))).to.have.members(['$.query.limit', '$.query.skip']);
    expect(paths(await call('GET', '/api/v1/events/raw?skip=-5'))).to.deep.equal(['$.query.skip']);

    const docs = `/api/v1/documents/case/${ids.kybCase}`;
    expect(paths(await call('GET', `${docs}?entity_type=ROBOT`))).to.deep.equal(['$.query.entity_type']);
    expect(paths(await call('GET', `${docs}?status=LOST&is_required=yes`))).to.have.members(['$.query.status', '$.query.is_required']);
    expect(detailOf(await call('GET', `${docs}?is_required=yes`))).to.deep.equal([
      { path: '$.query.is_required', rule: 'must be true or false' },
    ]);

    const [requirement] = listOf(await call('GET', docs));
    const statusPath = `/api/v1/documents/${String(requirement!.id)}/status`;
    expect(paths(await call('PUT', statusPath, { new_status: 'LOST' }))).to.deep.equal(['$.new_status']);
    expect(paths(await call('PUT', statusPath, { new_status: 'UPLOADED', metadata_changes: { 'a.b': 1 } }))).to.deep.equal([
      '$.metadata_changes.a.b',
    ]);
    expect(paths(await call('PUT', statusPath, { new_status: 'UPLOADED', updated_by_actor_id: 'someone-else' }))).to.deep.equal([
      '$.updated_by_actor_id',
    ]);
    expect(detailOf(await call('PUT', statusPath, '{"new_status": '))).to.deep.equal([{ path: '$', rule: 'must be a JSON document' }]);

    expect(
      paths(await call('POST', '/api/v1/documents/determine-requirements', { case_id: ids.kybCase, entity_type: 'ROBOT' })),
    ).to.have.members(['$.entity_id', '$.entity_type']);
    expect(
      paths(await call('POST', '/api/v1/documents/determine-requirements', { case_id: '', entity_id: 'x', entity_type: 'PERSON' })),
    ).to.deep.equal(['$.case_id']);

    // nothing refused reached the pipeline: the requirement is as it was
    expect(objectOf(await call('GET', `/api/v1/documents/${String(requirement!.id)}`)).status).to.equal('AWAITING_UPLOAD');
  });

  it('requires the API token on every route but health and readiness, answering 401 without it', async () => {
    const apiRoutes: [string, string][] = [
      ['GET', '/api/v1/cases'],
      ['GET', `/api/v1/cases/${ids.kybCase}`],
      ['GET', `/api/v1/cases/${ids.kybCase}/events`],
      ['GET', `/api/v1/persons/case/${ids.kybCase}`],
      ['GET', `/api/v1/companies/${ids.company}`],
      ['GET', `/api/v1/companies/${ids.company}/beneficial-owners`],
      ['GET', '/api/v1/documents/some-id'],
      ['GET', `/api/v1/documents/case/${ids.kybCase}`],
      ['GET', '/api/v1/events/raw'],
      ['GET', '/api/v1/commands/some-id'],
      ['POST', '/api/v1/documents/determine-requirements'],
      ['PUT', '/api/v1/documents/some-id/status'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
      ['GET', '/%61pi/v1/cases'],
      ['GET', '/api/%761/events/raw'],
    ];
    for (const [method, path] of apiRoutes) {
      for (const token of [null, 'wrong']) {
        const r = await call(method, path, method === 'GET' ? undefined : {}, token);
        expect(r.status, `${method} ${path} with token ${String(token)}`).to.equal(401);
        expect(r.body).to.deep.equal({ detail: 'missing or invalid bearer token' });
        expect(r.headers.get('www-authenticate')).to.equal('Bearer');
      }
    }
    const withToken = await call('GET', `/api/v1/cases/${ids.kybCase}`);
    expect(withToken.status).to.equal(200);
    expect(objectOf(withToken).id).to.equal(ids.kybCase);

    for (const path of ['/health', '/health/live', '/health/ready']) {
      expect((await call('GET', path, undefined, null)).status, path).to.equal(200);
    }
  });

  it('shows non-zero counters on /metrics for the messages, notifications, dead letters and rule lookups of the run', async () => {
    // the KYB welcome-email notifications went out to the notification topic, keyed by their case
    const notified = await waitFor(
      () => {
        const found = svc.notifications.filter((n) => n.key === ids.kybCase || n.key === ids.kycCase || n.key === ids.kybAgainCase);
        return found.length >= 3 ? found : null;
      },
      20_000,
      { description: 'three published notifications' },
    );
    expect(
      notified
        .map((n) => JSON.parse(n.value!) as Json)
        .map((n) => (n.payload as Json).template_id)
        .sort(),
    ).to.deep.equal(['KYB_WELCOME_EMAIL_V1', 'KYB_WELCOME_EMAIL_V1', 'KYC_WELCOME_EMAIL_V1']);
    const dead = await waitFor(() => svc.deadLetters.find((d) => d.value?.includes(DEAD_CLIENT)), 20_000, {
      description: 'the dead letter',
    });
    expect(JSON.parse(dead.value!)).to.include({ client_id: DEAD_CLIENT, version: '2.0' });

    // the counters move once the topic acknowledged the message, a moment after the watcher may see it
    const scrape = await waitFor(
      async () => {
        const r = await call('GET', '/metrics');
        return metricValue(r.text, 'casestream_notifications_published_total') >= 3 &&
          metricValue(r.text, 'casestream_dead_letters_total') >= 2
          ? r
          : null;
      },
      20_000,
      { description: 'the notification and dead-letter counters' },
    );
    expect(scrape.status).to.equal(200);
    expect(scrape.headers.get('content-type')).to.contain('text/plain');
    const metrics = scrape.text;
    const value = (name: string, labels = '') => metricValue(metrics, name, labels);

    expect(value('casestream_messages_consumed_total')).to.be.at.least(6);
    expect(value('casestream_messages_processed_total')).to.be.at.least(4);
    expect(value('casestream_messages_rejected_total')).to.be.at.least(2);
    expect(value('casestream_event_append_duration_seconds_count')).to.be.greaterThan(0);
    expect(value('casestream_end_to_end_latency_seconds_count')).to.be.greaterThan(0);

    expect(value('casestream_notifications_published_total')).to.be.at.least(3);
    // the service's own process: what a container's memory limit counts, and its CPU so far
    expect(value('process_resident_memory_bytes')).to.be.greaterThan(value('nodejs_heap_size_used_bytes'));
    expect(value('process_cpu_seconds_total')).to.be.greaterThan(0);
    // the version "2.0" client message and the command about an unknown person
    expect(value('casestream_dead_letters_total', `topic="${svc.env.KAFKA_TOPIC_NAME}"`)).to.be.at.least(1);
    expect(value('casestream_dead_letters_total', `topic="${svc.env.KAFKA_COMMAND_TOPIC}"`)).to.be.at.least(1);

    // the first KYC and KYB cases asked the Configuration Service; the second KYB case was a cache hit
    expect(value('casestream_rule_cache_misses_total')).to.be.at.least(2);
    expect(value('casestream_rule_cache_hits_total')).to.be.at.least(1);
    expect(value('casestream_config_service_requests_total')).to.be.at.least(2);
    expect(value('casestream_config_service_request_duration_seconds_count', 'result="ok"')).to.be.at.least(2);
    expect(value('casestream_config_service_errors_total')).to.equal(0);
    expect(value('casestream_rule_lookup_errors_total')).to.equal(0);
  });
});
