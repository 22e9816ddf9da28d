import { expect } from 'chai';
import { ERASED } from '../../../src/domain/personalData.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { cliEnvOf, runCliWith } from '../../support/cli.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

/**
 * The acceptance of erasure and legal hold against the real stack: a KYB case through the real
 * pipeline, a person and a beneficial owner erased (through the API and the CLI), then every
 * collection of the database searched for their original values.
 */

type Json = Record<string, unknown>;

const TOKEN = 'erasure-acceptance-token-0123456789';
const run = uniqueName('erase').toUpperCase().replace(/-/g, '_');
const CASE_TYPE = `ERASURE_${run}`;
const welcome = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

// Values found nowhere else, so that a search of the whole database tells where they are.
const subject = {
  firstname: 'Zephyrine',
  lastname: 'Quillfeather',
  birthdate: '1901-02-03',
  nationality: 'Ruritanian',
  role_in_company: 'Director',
};
const colleague = { firstname: 'Ottoline', lastname: 'Keepwell', birthdate: '1950-05-05', role_in_company: null };
const owner = {
  person_details: { firstname: 'Bartholomew', lastname: 'Ownerly', birthdate: '1960-06-06', nationality: 'Freedonian' },
  ownership_percentage: 60,
  types_of_control: ['SHAREHOLDING_OVER_25'],
  is_ubo: true,
};
const SUBJECT_VALUES = Object.values(subject).filter((v) => v !== 'Director');
const OWNER_VALUES = Object.values(owner.person_details);
const COLLEAGUE_VALUES = ['Ottoline', 'Keepwell', '1950-05-05'];

const kyb = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: CASE_TYPE,
  traitement_type: 'KYB',
  company_profile: {
    registered_name: 'Erasure Test Ltd',
    registration_number: 'ET-1',
    country_of_incorporation: 'GB',
    registered_address: { country: 'GB' },
  },
  persons: [subject, colleague],
  beneficial_owners: [owner],
});

describe('erasure of one data subject, and legal hold, against the real stack', function () {
  this.timeout(300_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;
  const client_id = `erasure-client-${run}`;
  let caseId = '';
  let companyId = '';
  let subjectId = '';
  let colleagueId = '';
  let ownerId = '';

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  /** Sends a command through the API and waits for its result. */
  const command = async (method: string, path: string, body: unknown): Promise<Json> => {
    const accepted = await call(method, path, body);
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
    const { command_id } = accepted.body as { command_id: string };
    return waitFor(
      async () => {
        const r = await call('GET', `/api/v1/commands/${command_id}`);
        return (r.body as Json).status === 'pending' ? undefined : (r.body as Json);
      },
      30_000,
      { description: `the result of ${command_id}` },
    );
  };

  const cli = (...argv: string[]) => runCliWith(cliEnvOf(svc), ...argv);

  /** Every document of every collection of the database, as JSON text, by collection. */
  const everything = async (): Promise<Map<string, string>> => {
    const all = new Map<string, string>();
    for (const { name } of await svc.db.listCollections({}, { nameOnly: true }).toArray()) {
      all.set(name, JSON.stringify(await svc.db.collection(name).find({}).toArray()));
    }
    return all;
  };

  /** The collections holding any of `values`, with the values each holds. */
  const holding = (all: Map<string, string>, values: readonly string[]): Record<string, string[]> =>
    Object.fromEntries(
      [...all].map(([name, text]) => [name, values.filter((v) => text.includes(v))] as const).filter(([, found]) => found.length > 0),
    );

  const streamOf = (aggregate_id: string) =>
    svc.db
      .collection('domain_events')
      .find({ aggregate_id }, { projection: { _id: 0 } })
      .sort({ version: 1 })
      .toArray();

  /** What an erasure must leave as it was: every event's envelope, the payloads without personal data, documents and the case. */
  const unaffected = async () => {
    const envelopes = async (id: string) =>
      (await streamOf(id)).map((e) => ({ event_id: e.event_id, event_type: e.event_type, version: e.version, timestamp: e.timestamp }));
    return {
      caseEvents: await envelopes(caseId),
      companyEvents: await envelopes(companyId),
      company: await svc.db.collection<{ _id: string }>('companies').findOne({ _id: companyId }),
      documents: await svc.db.collection('document_requirements').find({ case_id: caseId }).sort({ _id: 1 }).toArray(),
      roles: (await streamOf(companyId)).map((e) => (e.payload as Json).role_in_company ?? null),
      ownership: (await streamOf(companyId)).map((e) => (e.payload as Json).ownership_percentage ?? null),
    };
  };

  before(async () => {
    stub = await startConfigServiceStub({ rules: { [`CASE_CREATED_KYB_${CASE_TYPE}`]: [welcome] } });
    svc = await new ServiceHarness({
      API_TOKEN: TOKEN,
      CONFIG_SERVICE_URL: stub.url,
      // a snapshot after every append, so that the case has one for the erasure to reach
      DB_SNAPSHOT_EVERY: '1',
      // actors that forget a case soon after its last message, and a relay that is soon due
      CASE_IDLE_MS: '200',
      CASE_STATES_KEPT: '0',
      OUTBOX_GRACE_MS: '500',
      OUTBOX_RELAY_INTERVAL_MS: '250',
    }).start();
    await svc.sendClientData({ value: kyb(client_id), messageId: `erasure-${run}` });
    const created = await svc.caseOf(client_id);
    caseId = created.id as string;
    companyId = created.company_id as string;
    const persons = await waitFor(async () => {
      const found = await svc.db.collection('persons').find({ case_id: caseId }).toArray();
      return found.length === 2 ? found : undefined;
    });
    subjectId = String(persons.find((p) => p.firstname === subject.firstname)!._id);
    colleagueId = String(persons.find((p) => p.firstname === colleague.firstname)!._id);
    ownerId = String((await waitFor(() => svc.db.collection('beneficial_owners').findOne({ case_id: caseId })))._id);
    await waitFor(() => svc.db.collection('raw_events').findOne({ 'payload.client_id': client_id }), 20_000);
    await waitFor(() => svc.notifications.some((n) => n.key === caseId), 20_000, { description: 'the notification' });
    // A replay keeps the read models it replaced aside: copies the erasure must reach too.
    const replay = await cli('replay', '--yes');
    expect(replay.code, replay.stderr).to.equal(0);
    // An append after the replay (which drops snapshots) keeps a snapshot of the case, which names its first person.
    const document = await waitFor(() => svc.db.collection('document_requirements').findOne({ case_id: caseId }));
    const uploaded = await command('PUT', `/api/v1/documents/${String(document._id)}/status`, { new_status: 'UPLOADED' });
    expect(uploaded.status).to.equal('processed');
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  it("finds the values before the erasure in the events, the read models and a replay's copies, the raw copy and the case snapshot", async () => {
    const found = holding(await everything(), SUBJECT_VALUES);
    expect(found).to.include.keys('domain_events', 'persons', 'raw_events', 'case_snapshots');
    expect(
      Object.keys(found).some((n) => n.startsWith('persons__before_replay_')),
      JSON.stringify(Object.keys(found)),
    ).to.equal(true);
  });

  it("erases a person of the KYB case through the API and a beneficial owner through the CLI: no collection holds their data, the case's other data and versions are intact", async () => {
    const before = await unaffected();
    const versionBefore = (await streamOf(caseId)).length;

    const person = await command('POST', `/api/v1/cases/${caseId}/erasures`, {
      subject: { kind: 'person', id: subjectId },
      reason: 'GDPR art. 17 request #4711',
    });
    expect(person.status).to.equal('processed');
    expect(person.event_ids).to.have.length(1);

    const cliRun = await cli(
      'erase',
      '--case',
      caseId,
      '--beneficial-owner',
      ownerId,
      '--reason',
      'GDPR art. 17 request #4712',
      '--by',
      'dpo-alice',
      '--json',
    );
    expect(cliRun.code, cliRun.stderr + cliRun.stdout).to.equal(0);
    const [row] = JSON.parse(cliRun.stdout) as Json[];
    expect(row).to.include({ case_id: caseId, kind: 'beneficial_owner', id: ownerId, outcome: 'done' });

    const all = await everything();
    expect(holding(all, [...SUBJECT_VALUES, ...OWNER_VALUES, `${subject.firstname} ${subject.lastname}`])).to.deep.equal({});
    expect(Object.keys(holding(all, COLLEAGUE_VALUES)), "the colleague's data stays").to.include.members([
      'domain_events',
      'persons',
      'raw_events',
    ]);

    const after = await unaffected();
    expect(after.companyEvents).to.deep.equal(before.companyEvents);
    expect(after.caseEvents.slice(0, versionBefore)).to.deep.equal(before.caseEvents);
    expect(after.caseEvents.slice(versionBefore).map((e) => e.event_type)).to.deep.equal(['PersonalDataErased', 'PersonalDataErased']);
    expect(after.company).to.deep.equal(before.company);
    expect(after.documents).to.deep.equal(before.documents);
    expect(after.roles).to.deep.equal(before.roles);
    expect(after.ownership).to.deep.equal(before.ownership);
  });

  it('shows the person and the beneficial owner as erased through the API, and records who asked and why, never the data', async () => {
    const persons = (await call('GET', `/api/v1/persons/case/${caseId}`)).body as Json[];
    expect(persons.find((p) => p.id === subjectId)).to.deep.include({
      firstname: ERASED,
      lastname: ERASED,
      birthdate: null,
      role_in_company: 'Director',
    });
    expect(persons.find((p) => p.id === colleagueId)).to.include({ firstname: 'Ottoline', lastname: 'Keepwell' });
    const owners = (await call('GET', `/api/v1/companies/${companyId}/beneficial-owners`)).body as Json[];
    expect(owners).to.have.length(1);
    expect(owners[0]).to.deep.include({ firstname: ERASED, lastname: ERASED, birthdate: null, ownership_percentage: 60, is_ubo: true });
    const erasures = ((await call('GET', `/api/v1/cases/${caseId}/events`)).body as Json[]).filter(
      (e) => e.event_type === 'PersonalDataErased',
    );
    expect(erasures.map((e) => e.payload)).to.deep.equal([
      {
        subject: { kind: 'person', id: subjectId },
        reason: 'GDPR art. 17 request #4711',
        requested_by: 'api-token',
        fields: ['firstname', 'lastname', 'birthdate', 'primary_contact_name', 'client_name'],
      },
      {
        subject: { kind: 'beneficial_owner', id: ownerId },
        reason: 'GDPR art. 17 request #4712',
        requested_by: 'dpo-alice',
        fields: ['firstname', 'lastname', 'birthdate'],
      },
    ]);
    const [notification] = (await call('GET', `/api/v1/cases/${caseId}/notifications`)).body as Json[];
    expect((notification!.payload as Json).recipient_details).to.include({ primary_contact_name: ERASED });
  });

  it('shows them as erased after a replay of every read model: the replay never brings their data back', async () => {
    const replay = await cli('replay', '--yes', '--drop-old');
    expect(replay.code, replay.stderr).to.equal(0);
    const persons = (await call('GET', `/api/v1/persons/case/${caseId}`)).body as Json[];
    expect(persons.find((p) => p.id === subjectId)).to.include({ firstname: ERASED, lastname: ERASED, birthdate: null });
    const owners = (await call('GET', `/api/v1/companies/${companyId}/beneficial-owners`)).body as Json[];
    expect(owners[0]).to.include({ firstname: ERASED, lastname: ERASED, birthdate: null });
    expect(holding(await everything(), [...SUBJECT_VALUES, ...OWNER_VALUES])).to.deep.equal({});
  });

  it('records nothing new when the same subject is erased a second time', async () => {
    const events = (await streamOf(caseId)).length;
    const again = await command('POST', `/api/v1/cases/${caseId}/erasures`, {
      subject: { kind: 'person', id: subjectId },
      reason: 'a second request',
    });
    expect(again).to.deep.equal({ status: 'processed', event_ids: [] });
    expect((await streamOf(caseId)).length).to.equal(events);
  });

  it("publishes a redelivered first message's notification again only as stored, with the erased person's name masked", async () => {
    const earlier = svc.notifications.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the case's actor released, its state forgotten
    await svc.sendClientData({ value: kyb(client_id), messageId: `erasure-${run}` });

    const again = await waitFor(() => svc.notifications.slice(earlier).find((n) => n.key === caseId), 30_000, {
      description: 'the notification published again',
    });
    const payload = (JSON.parse(again.value!) as { payload: Json }).payload;
    expect(payload.recipient_details).to.include({ primary_contact_name: ERASED });
    const published = svc.notifications
      .slice(earlier)
      .map((n) => n.value ?? '')
      .join('\n');
    for (const value of SUBJECT_VALUES) expect(published).not.to.contain(value);
    expect(holding(await everything(), [...SUBJECT_VALUES, ...OWNER_VALUES])).to.deep.equal({});
  });

  it('refuses an erasure while the case is under legal hold, saying why, and erases once the hold is lifted', async () => {
    const placed = await command('POST', `/api/v1/cases/${caseId}/legal-hold`, { reason: 'AML investigation 2024-17' });
    expect(placed.status).to.equal('processed');
    const held = (await call('GET', `/api/v1/cases/${caseId}`)).body as Json;
    expect(held.legal_hold).to.include({ reason: 'AML investigation 2024-17' });
    // its raw copy no longer counts down to RETENTION_RAW_EVENTS, and the API says why
    const rawCopy = () => svc.db.collection('raw_events').findOne({ 'payload.client_id': client_id });
    const whileHeld = await rawCopy();
    expect(whileHeld).to.have.property('held_processed_at');
    expect(whileHeld).not.to.have.property('processed_at');
    const listed = ((await call('GET', '/api/v1/events/raw?limit=500')).body as Json[]).find(
      (r) => (r.payload as Json).client_id === client_id,
    );
    expect(listed).to.include({ legal_hold: true, processed_at: (whileHeld!.held_processed_at as Date).toISOString() });

    const refused = await cli('erase', '--case', caseId, '--person', colleagueId, '--reason', 'GDPR', '--json');
    expect(refused.code).to.equal(1);
    const [row] = JSON.parse(refused.stdout) as Json[];
    expect(row).to.include({ outcome: 'refused' });
    expect(row!.detail).to.match(/under legal hold since .* \(AML investigation 2024-17\)/);
    expect(Object.keys(holding(await everything(), COLLEAGUE_VALUES))).to.include.members(['domain_events', 'persons']);

    const lifted = await cli('hold', 'lift', '--case', caseId, '--reason', 'investigation closed', '--json');
    expect(lifted.code, lifted.stderr + lifted.stdout).to.equal(0);
    expect(((await call('GET', `/api/v1/cases/${caseId}`)).body as Json).legal_hold).to.equal(null);
    const released = await rawCopy();
    expect(released).to.have.property('processed_at');
    expect(released).not.to.have.property('held_processed_at');

    const client = await cli('erase', '--client', client_id, '--reason', 'client relationship ended', '--json');
    expect(client.code, client.stderr + client.stdout).to.equal(0);
    expect((JSON.parse(client.stdout) as Json[]).map((r) => [r.id, r.outcome])).to.have.deep.members([
      [subjectId, 'nothing new'],
      [colleagueId, 'done'],
      [ownerId, 'nothing new'],
    ]);
    expect(holding(await everything(), [...SUBJECT_VALUES, ...OWNER_VALUES, ...COLLEAGUE_VALUES])).to.deep.equal({});
  });
});
