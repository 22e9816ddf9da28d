import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { Collection } from 'mongodb';
import { firstValueFrom, forkJoin } from 'rxjs';
import sinon from 'sinon';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import type { CaseCommand } from '../../../src/domain/caseCommand.js';
import { decide } from '../../../src/domain/decide.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import type { DomainEvent, NotificationRequired } from '../../../src/domain/events.js';
import { projectEvents } from '../../../src/domain/projections.js';
import type { HealthReport } from '../../../src/infra/http/health.js';
import { API_IDEMPOTENCY_COLLECTION, commandResultsCollection, createCommandResultStore } from '../../../src/infra/mongo/commandResults.js';
import { startHttpServer, type RunningHttpServer } from '../../../src/infra/http/server.js';
import { countPendingNotifications } from '../../../src/infra/mongo/outboxStatus.js';
import { createMongoEventStore, eventsCollection, toEventDocument } from '../../../src/infra/mongo/eventStore.js';
import { createMongoRawEventLog } from '../../../src/infra/mongo/rawEventLog.js';
import { createMongoReadModelStore } from '../../../src/infra/mongo/readModelStore.js';
import { creationCommand, found, rawKybMessage, rawKycMessage } from '../../unit/domain/fixtures.js';
import { FakePublisher, RecordingLogger } from '../../unit/http/fakes.js';
import { tokensOf } from '../../unit/http/harness.js';
import { useTestDatabase } from '../mongo/support.js';

const HOST = '127.0.0.1';
const TOKEN = 'it-token-0123456789abcdef0123456789';
const T1 = new Date('2026-02-01T08:00:00.000Z');
const T2 = new Date('2026-02-02T08:00:00.000Z');
const T3 = new Date('2026-02-03T08:00:00.000Z');
const rule = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

const okReport: HealthReport = {
  status: 'ok',
  components: { kafka: { status: 'up' }, mongodb: { status: 'up' }, redis: { status: 'up' }, config_service: { status: 'up' } },
};

const rightOf = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(JSON.stringify(e.left));
  return e.right;
};

/** Every key of every object, at any depth. */
const keysDeep = (u: unknown): string[] =>
  Array.isArray(u)
    ? u.flatMap(keysDeep)
    : typeof u === 'object' && u !== null
      ? Object.entries(u).flatMap(([k, v]) => [k, ...keysDeep(v)])
      : [];

describe('HTTP API on the real database', function () {
  this.timeout(60_000);
  const t = useTestDatabase('api');
  let server: RunningHttpServer;
  let guarded: RunningHttpServer;
  const commands = new FakePublisher();
  const logger = new RecordingLogger();
  let kyb: { case_id: string; company_id: string; events: DomainEvent[] };
  let kyc: { case_id: string; person_id: string; events: DomainEvent[]; statusEvent: DomainEvent; requirementIds: string[] };

  const call = async (path: string, init?: RequestInit, s: RunningHttpServer = server) => {
    const res = await fetch(`http://${HOST}:${s.port}${path}`, init);
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: res.status, headers: res.headers, body: isJson && text !== '' ? (JSON.parse(text) as unknown) : undefined, text };
  };
  const send = (method: string, path: string, body: unknown) =>
    call(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Stores and projects events the way the pipeline does. */
  const store = async (events: DomainEvent[]) => {
    const appended = await firstValueFrom(createMongoEventStore(t.db).append(events));
    expect(appended.kind).to.equal('appended');
    await firstValueFrom(createMongoReadModelStore(t.db).apply(projectEvents(events)));
  };

  before(async () => {
    // a KYB case (older) and a KYC case (newer) with a notification and one status change
    const kybCmd = creationCommand(rawKybMessage(), 'api-it-kyb', T1);
    const kybEvents = rightOf(decide(emptyCase(kybCmd.case_id), kybCmd, null));
    await store(kybEvents);
    const created = kybEvents.find((e) => e.event_type === 'CaseCreated');
    if (created?.event_type !== 'CaseCreated' || created.payload.company_id === null) throw new Error('fixture: no company');
    kyb = { case_id: kybCmd.case_id, company_id: created.payload.company_id, events: kybEvents };

    const kycCmd = creationCommand(rawKycMessage(), 'api-it-kyc', T2);
    const kycEvents = rightOf(decide(emptyCase(kycCmd.case_id), kycCmd, found(rule)));
    await store(kycEvents);
    const requirementIds = kycEvents.flatMap((e) =>
      e.event_type === 'DocumentRequirementDetermined' ? [e.payload.document_requirement_id] : [],
    );
    const person = kycEvents.find((e) => e.event_type === 'PersonAddedToCase');
    if (person?.event_type !== 'PersonAddedToCase') throw new Error('fixture: no person');
    const update: CaseCommand = {
      command_type: 'UpdateDocumentStatus',
      command_id: 'seed-update',
      case_id: kycCmd.case_id,
      document_requirement_id: requirementIds[0]!,
      new_status: 'UPLOADED',
      updated_by_actor_type: 'USER',
      updated_by_actor_id: 'agent-7',
      metadata_changes: { checked: true },
      notes_to_add: ['scan received'],
    };
    const statusEvents = rightOf(
      decide(
        evolveCase(emptyCase(kycCmd.case_id), kycEvents),
        { ...update, key: 'api-it-update', content_hash: 'api-it-update-content', timestamp: T3 },
        null,
      ),
    );
    await store(statusEvents);
    kyc = {
      case_id: kycCmd.case_id,
      person_id: person.payload.person_id,
      events: kycEvents,
      statusEvent: statusEvents[0]!,
      requirementIds,
    };

    const raw = createMongoRawEventLog(t.db);
    await firstValueFrom(raw.record({ id: 'raw-1', payload: { client_id: 'a' }, received_at: T1, status: 'processed' }));
    await firstValueFrom(
      raw.record({ id: 'raw-2', payload: { client_id: 'b' }, received_at: T2, status: 'rejected', error: { reason: 'bad', details: [] } }),
    );

    const common = {
      port: 0,
      host: HOST,
      db: t.db,
      commands,
      health: async () => okReport,
      ready: async () => true,
      metrics: () => 'casestream_up 1\n',
      logger,
    };
    server = await startHttpServer(common);
    guarded = await startHttpServer({ ...common, tokens: tokensOf({ reader: [TOKEN, 'read'] }) });
  });

  after(async () => {
    await server?.close();
    await guarded?.close();
  });

  it('GET /api/v1/cases lists cases newest first, without _id or applied, dates as ISO strings', async () => {
    const r = await call('/api/v1/cases');
    expect(r.status).to.equal(200);
    const cases = r.body as Record<string, unknown>[];
    expect(cases.map((c) => c.id)).to.deep.equal([kyc.case_id, kyb.case_id]);
    expect(cases[0]).to.deep.equal({
      id: kyc.case_id,
      client_id: 'client-42',
      version: '1.0',
      type: 'STANDARD_DUE_DILIGENCE',
      traitement_type: 'KYC',
      company_id: null,
      status: 'OPEN',
      created_at: T2.toISOString(),
      updated_at: T2.toISOString(),
    });
    expect((await call('/api/v1/cases?limit=1&skip=1')).body).to.have.length(1);
    expect(((await call('/api/v1/cases?limit=1&skip=1')).body as { id: string }[])[0]!.id).to.equal(kyb.case_id);
    expect(await call('/api/v1/cases?limit=0')).to.deep.include({
      status: 422,
      body: { detail: [{ path: '$.query.limit', rule: 'must be an integer from 1 to 500' }] },
    });
    expect(await call('/api/v1/cases?skip=100001')).to.deep.include({
      status: 422,
      body: { detail: [{ path: '$.query.skip', rule: 'must be an integer from 0 to 100000' }] },
    });
  });

  it('GET /api/v1/cases/{case_id} answers the case or 404', async () => {
    const r = await call(`/api/v1/cases/${kyb.case_id}`);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.include({ id: kyb.case_id, traitement_type: 'KYB', company_id: kyb.company_id });
    expect(keysDeep(r.body)).not.to.include.members(['_id', 'applied']);
    expect(await call('/api/v1/cases/no-such-case')).to.deep.include({ status: 404, body: { detail: 'case not found' } });
  });

  it('GET /api/v1/cases/{case_id}/events answers the case stream in version order with ISO timestamps', async () => {
    const r = await call(`/api/v1/cases/${kyc.case_id}/events`);
    expect(r.status).to.equal(200);
    const events = r.body as Record<string, unknown>[];
    expect(events.map((e) => `${String(e.event_type)}@${String(e.version)}`)).to.deep.equal([
      'CaseCreated@1',
      'PersonAddedToCase@2',
      'DocumentRequirementDetermined@3',
      'DocumentRequirementDetermined@4',
      'NotificationRequired@5',
      'DocumentStatusUpdated@6',
    ]);
    expect(events[0]).to.deep.equal(JSON.parse(JSON.stringify(kyc.events[0])));
    expect(events[5]!.timestamp).to.equal(T3.toISOString());
    expect(keysDeep(events)).not.to.include.members(['_id', 'publication']);
    expect((await call('/api/v1/cases/no-such-case/events')).body).to.deep.equal([]);
  });

  it('GET /api/v1/persons/case/{case_id} answers the persons of the case', async () => {
    const r = await call(`/api/v1/persons/case/${kyb.case_id}`);
    expect(r.status).to.equal(200);
    const persons = r.body as Record<string, unknown>[];
    expect(persons.map((p) => p.firstname).sort()).to.deep.equal(['Alan', 'Edsger', 'Grace']);
    expect(persons.find((p) => p.firstname === 'Grace')).to.deep.include({
      case_id: kyb.case_id,
      company_id: kyb.company_id,
      role_in_company: 'DIRECTOR',
    });
    expect(keysDeep(persons)).not.to.include.members(['_id', 'applied']);
  });

  it('GET /api/v1/companies/{company_id} and its beneficial owners', async () => {
    const company = await call(`/api/v1/companies/${kyb.company_id}`);
    expect(company.status).to.equal(200);
    expect(company.body).to.deep.include({
      id: kyb.company_id,
      case_id: kyb.case_id,
      registered_name: 'Analytical Engines Ltd',
      registration_number: 'GB-0001',
    });
    expect(company.body).to.have.property('registered_address').that.deep.include({ city: 'London', country: 'GB' });
    expect(keysDeep(company.body)).not.to.include.members(['_id', 'applied']);
    expect(await call('/api/v1/companies/no-such-company')).to.deep.include({ status: 404, body: { detail: 'company not found' } });
    const owners = await call(`/api/v1/companies/${kyb.company_id}/beneficial-owners`);
    expect(owners.status).to.equal(200);
    expect((owners.body as Record<string, unknown>[]).map((o) => [o.firstname, o.ownership_percentage, o.is_ubo]).sort()).to.deep.equal([
      ['Barbara', null, false],
      ['Grace', 60, true],
    ]);
    expect((await call('/api/v1/companies/no-such-company/beneficial-owners')).body).to.deep.equal([]);
  });

  it('GET /api/v1/documents/{id} answers the requirement or 404', async () => {
    const r = await call(`/api/v1/documents/${kyc.requirementIds[0]!}`);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.include({
      id: kyc.requirementIds[0],
      case_id: kyc.case_id,
      entity_id: kyc.person_id,
      entity_type: 'PERSON',
      status: 'UPLOADED',
      is_required: true,
      metadata: { checked: true },
      notes: ['scan received'],
      updated_at: T3.toISOString(),
    });
    expect(keysDeep(r.body)).not.to.include.members(['_id', 'applied']);
    expect(await call('/api/v1/documents/no-such-document')).to.deep.include({
      status: 404,
      body: { detail: 'document requirement not found' },
    });
  });

  it('GET /api/v1/documents/case/{case_id} filters by entity, type, status and is_required', async () => {
    const ids = async (query: string) =>
      ((await call(`/api/v1/documents/case/${kyb.case_id}${query}`)).body as { id: string; document_type: string }[])
        .map((d) => d.document_type)
        .sort();
    expect(await ids('')).to.deep.equal([
      'ARTICLES_OF_ASSOCIATION',
      'COMPANY_REGISTRATION_CERTIFICATE',
      'PASSPORT_DIRECTOR_BO',
      'PASSPORT_DIRECTOR_BO',
      'PASSPORT_DIRECTOR_BO',
    ]);
    expect(await ids('?entity_type=COMPANY')).to.deep.equal(['ARTICLES_OF_ASSOCIATION', 'COMPANY_REGISTRATION_CERTIFICATE']);
    expect(await ids(`?entity_id=${kyb.company_id}&is_required=true`)).to.deep.equal([
      'ARTICLES_OF_ASSOCIATION',
      'COMPANY_REGISTRATION_CERTIFICATE',
    ]);
    expect(await ids('?is_required=false')).to.deep.equal([]);
    const kycDocs = async (query: string) =>
      ((await call(`/api/v1/documents/case/${kyc.case_id}${query}`)).body as { id: string }[]).map((d) => d.id);
    expect(await kycDocs('?status=UPLOADED')).to.deep.equal([kyc.requirementIds[0]]);
    expect(await kycDocs('?status=AWAITING_UPLOAD')).to.deep.equal([kyc.requirementIds[1]]);
    expect(await call(`/api/v1/documents/case/${kyc.case_id}?entity_type=robot`)).to.deep.include({
      status: 422,
      body: { detail: [{ path: '$.query.entity_type', rule: 'must be one of PERSON, COMPANY' }] },
    });
  });

  it('GET /api/v1/events/raw lists raw messages newest first', async () => {
    const r = await call('/api/v1/events/raw');
    expect(r.status).to.equal(200);
    const raw = r.body as Record<string, unknown>[];
    expect(raw.map((e) => e.id)).to.deep.equal(['raw-2', 'raw-1']);
    expect(raw[0]).to.deep.include({
      id: 'raw-2',
      event_type: 'KAFKA_MESSAGE_RAW_STORED',
      status: 'rejected',
      received_at: T2.toISOString(),
    });
    expect(keysDeep(raw)).not.to.include('_id');
    expect(((await call('/api/v1/events/raw?limit=1&skip=1')).body as { id: string }[]).map((e) => e.id)).to.deep.equal(['raw-1']);
  });

  it('POST determine-requirements: 202, a pending command_results entry, the command published keyed by case; then the result round trip', async () => {
    const before = commands.published.length;
    const r = await send('POST', '/api/v1/documents/determine-requirements', {
      case_id: kyb.case_id,
      entity_id: kyb.company_id,
      entity_type: 'COMPANY',
    });
    expect(r.status).to.equal(202);
    const { command_id } = r.body as { command_id: string };
    expect(command_id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(commands.published.slice(before)).to.deep.equal([
      {
        command_type: 'DetermineDocumentRequirements',
        command_id,
        case_id: kyb.case_id,
        entity_id: kyb.company_id,
        entity_type: 'COMPANY',
      },
    ]);
    const stored = await commandResultsCollection(t.db).findOne({ _id: command_id });
    expect(stored).to.deep.include({ _id: command_id, status: 'pending', case_id: kyb.case_id });
    expect(stored?.accepted_at).to.be.instanceOf(Date);
    expect(await call(`/api/v1/commands/${command_id}`)).to.deep.include({ status: 200, body: { status: 'pending' } });

    await firstValueFrom(
      createCommandResultStore(t.db).record({
        command_id,
        status: 'processed',
        case_id: kyb.case_id,
        event_ids: [],
        completed_at: new Date(),
      }),
    );
    expect(await call(`/api/v1/commands/${command_id}`)).to.deep.include({ status: 200, body: { status: 'processed', event_ids: [] } });
    const completed = await commandResultsCollection(t.db).findOne({ _id: command_id });
    expect(completed?.accepted_at).to.be.instanceOf(Date);
    expect(completed?.completed_at).to.be.instanceOf(Date);
  });

  it('POST determine-requirements: 404 for an unknown case, 422 for a bad body', async () => {
    expect(
      await send('POST', '/api/v1/documents/determine-requirements', { case_id: 'no-such-case', entity_id: 'x', entity_type: 'PERSON' }),
    ).to.deep.include({
      status: 404,
      body: { detail: 'case not found' },
    });
    expect(await send('POST', '/api/v1/documents/determine-requirements', { case_id: '', entity_type: 'PERSON' })).to.deep.include({
      status: 422,
      body: {
        detail: [
          { path: '$.case_id', rule: 'must be a non-empty string' },
          { path: '$.entity_id', rule: 'is required' },
        ],
      },
    });
  });

  it('PUT status: 202 with the case of the requirement; the rejected result round trip; 404 and 422', async () => {
    const before = commands.published.length;
    const r = await send('PUT', `/api/v1/documents/${kyc.requirementIds[1]!}/status`, { new_status: 'VERIFIED_MANUAL' });
    expect(r.status).to.equal(202);
    const { command_id } = r.body as { command_id: string };
    expect(commands.published.slice(before)).to.deep.equal([
      {
        command_type: 'UpdateDocumentStatus',
        command_id,
        case_id: kyc.case_id,
        document_requirement_id: kyc.requirementIds[1],
        new_status: 'VERIFIED_MANUAL',
        updated_by_actor_type: 'ANONYMOUS',
        updated_by_actor_id: 'anonymous',
        metadata_changes: {},
        notes_to_add: [],
      },
    ]);
    await firstValueFrom(
      createCommandResultStore(t.db).record({
        command_id,
        status: 'rejected',
        case_id: kyc.case_id,
        reason: 'unknown document requirement',
        completed_at: new Date(),
      }),
    );
    expect(await call(`/api/v1/commands/${command_id}`)).to.deep.include({
      status: 200,
      body: { status: 'rejected', reason: 'unknown document requirement' },
    });

    expect(await send('PUT', '/api/v1/documents/no-such-document/status', { new_status: 'UPLOADED' })).to.deep.include({
      status: 404,
      body: { detail: 'document requirement not found' },
    });
    expect(
      await send('PUT', `/api/v1/documents/${kyc.requirementIds[1]!}/status`, { new_status: 'uploaded', metadata_changes: { 'a.b': 1 } }),
    ).to.deep.include({
      status: 422,
      body: {
        detail: [
          {
            path: '$.new_status',
            rule: 'must be one of AWAITING_UPLOAD, UPLOADED, VERIFIED_SYSTEM, VERIFIED_MANUAL, REJECTED, NOT_APPLICABLE',
          },
          { path: '$.metadata_changes.a.b', rule: 'must be a field name: non-empty, without "." or NUL, not starting with "$"' },
        ],
      },
    });
    expect(await call('/api/v1/commands/no-such-command')).to.deep.include({ status: 404, body: { detail: 'command not found' } });
  });

  it('PUT status: 422, not 500, for nested $ keys, deep nesting and non-finite numbers; nothing published or stored', async () => {
    const before = commands.published.length;
    const pendingBefore = await commandResultsCollection(t.db).countDocuments({});
    const path = `/api/v1/documents/${kyc.requirementIds[1]!}/status`;
    const bodies = [
      JSON.stringify({ new_status: 'UPLOADED', metadata_changes: { scan: { $set: { status: 'VERIFIED_MANUAL' } } } }),
      `{"new_status":"UPLOADED","metadata_changes":{"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`,
      '{"new_status":"UPLOADED","metadata_changes":{"x":1e400}}',
    ];
    for (const body of bodies) {
      const r = await call(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      expect(r.status, body.slice(0, 80)).to.equal(422);
    }
    expect(commands.published.length).to.equal(before);
    expect(await commandResultsCollection(t.db).countDocuments({})).to.equal(pendingBefore);
  });

  it('Idempotency-Key: a retry answers the same command_id, concurrent duplicates publish once, another body is a 409', async () => {
    const before = commands.published.length;
    const body = { case_id: kyb.case_id, entity_id: kyb.company_id, entity_type: 'COMPANY' };
    const post = (key: string, b: unknown = body) =>
      call('/api/v1/documents/determine-requirements', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(b),
      });
    const key = `it-key-${Date.now()}`;
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(key)));
    expect(burst.map((r) => r.status)).to.deep.equal(Array(6).fill(202));
    const ids = new Set(burst.map((r) => (r.body as { command_id: string }).command_id));
    expect(ids.size).to.equal(1);
    const [command_id] = [...ids];
    expect(await post(key)).to.deep.include({ status: 202, body: { command_id } });
    expect(commands.published.slice(before).map((c) => c.command_id)).to.deep.equal([command_id]);
    expect(await commandResultsCollection(t.db).countDocuments({ _id: command_id! })).to.equal(1);
    expect(await t.db.collection(API_IDEMPOTENCY_COLLECTION).findOne({ _id: key as never })).to.deep.include({ command_id });
    expect(await post(key, { ...body, entity_type: 'PERSON' })).to.deep.include({
      status: 409,
      body: { detail: 'this Idempotency-Key was already used for a different request' },
    });
    expect(commands.published.length).to.equal(before + 1);
  });

  it('the command result log inserts many new records in one batch and is idempotent, rewriting none on redelivery', async () => {
    const log = createCommandResultStore(t.db);
    const bulkWrite = sinon.spy(Collection.prototype, 'bulkWrite');
    const updates = () => bulkWrite.getCalls().reduce((n, c) => n + (c.args[0] as object[]).filter((op) => 'updateOne' in op).length, 0);
    const results = Array.from({ length: 25 }, (_, i) => ({
      command_id: `batch-${i}`,
      status: 'processed' as const,
      case_id: kyc.case_id,
      event_ids: [`e-${i}`],
      completed_at: new Date(),
    }));
    await firstValueFrom(forkJoin(results.map((r) => log.record(r))));
    await firstValueFrom(forkJoin(results.map((r) => log.record(r))));
    const updated = updates();
    sinon.restore();
    expect(updated).to.equal(0);
    expect(
      await commandResultsCollection(t.db).countDocuments({ status: 'processed', case_id: kyc.case_id, _id: { $regex: '^batch-' } }),
    ).to.equal(25);
    expect(await call('/api/v1/commands/batch-7')).to.deep.include({ body: { status: 'processed', event_ids: ['e-7'] } });
  });

  it('with an API token, /api/v1 routes answer 401 without it and 200 with it; health stays open', async () => {
    const missing = await call('/api/v1/cases', undefined, guarded);
    expect(missing).to.deep.include({ status: 401, body: { detail: 'missing or invalid bearer token' } });
    expect((await call(`/api/v1/cases/${kyc.case_id}`, { headers: { authorization: 'Bearer nope' } }, guarded)).status).to.equal(401);
    expect((await call(`/api/v1/cases/${kyc.case_id}`, { headers: { authorization: `Bearer ${TOKEN}` } }, guarded)).status).to.equal(200);
    for (const disguised of ['/%61pi/v1/cases', '/api/%761/events/raw', `/api/v1/cases/${kyc.case_id}/`]) {
      const r = await call(disguised, undefined, guarded);
      expect(r, disguised).to.deep.include({ status: 401, body: { detail: 'missing or invalid bearer token' } });
    }
    expect((await call('/health/ready', undefined, guarded)).status).to.equal(200);
  });

  it('operations routes and unknown routes', async () => {
    expect(await call('/health')).to.deep.include({ status: 200, body: okReport });
    expect(await call('/health/live')).to.deep.include({ status: 200, body: { status: 'ok' } });
    expect((await call('/metrics')).text).to.equal('casestream_up 1\n');
    expect((await call('/openapi.json')).body).to.have.property('openapi', '3.0.3');
    expect(await call('/api/v1/unknown')).to.deep.include({ status: 404, body: { detail: 'not found' } });
    expect((await call('/api/v1/cases', { method: 'POST' })).status).to.equal(405);
  });

  it("GET /api/v1/cases/{case_id}/notifications answers the case's notifications with their provenance, and whether Kafka acknowledged them", async () => {
    const r = await call(`/api/v1/cases/${kyc.case_id}/notifications`);
    expect(r.status).to.equal(200);
    const notification = kyc.events.find((e) => e.event_type === 'NotificationRequired')!;
    expect(r.body).to.deep.equal([{ ...(JSON.parse(JSON.stringify(notification)) as object), published: false }]);
    expect((r.body as { payload: { provenance: unknown } }[])[0]!.payload.provenance).to.deep.include({
      rule_id: 'WELCOME',
      rule_version: null,
      source: 'fresh',
    });
    expect(await call(`/api/v1/cases/${kyc.case_id}/notifications?skip=1`)).to.deep.include({ status: 200, body: [] });
    expect(await call(`/api/v1/cases/${kyb.case_id}/notifications`)).to.deep.include({ status: 200, body: [] });
    for (const unknown of ['no-such-case', kyb.company_id]) {
      expect(await call(`/api/v1/cases/${unknown}/notifications`), unknown).to.deep.include({
        status: 404,
        body: { detail: 'case not found' },
      });
    }
  });

  it('GET /api/v1/cases/{case_id}/notifications shows a notification stored before provenance with provenance null', async () => {
    // What an earlier release stored: no provenance in the payload, no outbox entry once acknowledged.
    const cmd = creationCommand(rawKycMessage(), 'api-it-legacy', T1);
    const events = decideCaseCreation(cmd);
    const current = decideNotification(cmd, found(rule), events.length);
    const { provenance: _none, ...payload } = current.payload;
    const legacy: NotificationRequired = { ...current, payload };
    await eventsCollection(t.db).insertMany([...events, legacy].map(toEventDocument));
    const r = await call(`/api/v1/cases/${cmd.case_id}/notifications`);
    expect(r.status).to.equal(200);
    const [listed] = r.body as { event_id: string; payload: Record<string, unknown>; published: boolean }[];
    expect(listed).to.deep.include({ event_id: legacy.event_id, published: true });
    expect(listed!.payload).to.deep.equal({ ...(JSON.parse(JSON.stringify(payload)) as object), provenance: null });
  });

  it('counts the notifications waiting in the outbox (the gauge source)', async () => {
    expect(await countPendingNotifications(t.db)).to.equal(1);
    const notification = kyc.events.find((e) => e.event_type === 'NotificationRequired')!;
    await firstValueFrom(createMongoEventStore(t.db).markPublished([notification.event_id]));
    expect(await countPendingNotifications(t.db)).to.equal(0);
  });
});
