import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CASE_EXPORT_FORMAT } from '../../../src/domain/caseExport.js';
import { ERASED } from '../../../src/domain/personalData.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { cliEnvOf, runCliWith } from '../../support/cli.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

/**
 * `casestream export-case` against the real stack: a KYB case through the real service, a legal
 * hold placed and lifted, a person erased and the case closed, then the export read back.
 */

type Json = Record<string, unknown>;

const TOKEN = 'export-case-acceptance-token-0123456789';
const run = uniqueName('export').toUpperCase().replace(/-/g, '_');
const CASE_TYPE = `EXPORT_${run}`;
const welcome = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

// Values found nowhere else, so that a search of the export tells whether they are in it.
const subject = { firstname: 'Hieronyma', lastname: 'Vantablack', birthdate: '1903-04-05', role_in_company: 'Director' };
const colleague = { firstname: 'Leopoldine', lastname: 'Staysfield', birthdate: '1951-06-07', role_in_company: null };
const owner = {
  person_details: { firstname: 'Cornelius', lastname: 'Holdsworth', birthdate: '1961-07-08' },
  ownership_percentage: 75,
  types_of_control: ['SHAREHOLDING_OVER_25'],
  is_ubo: true,
};

describe('casestream export-case against the real stack', function () {
  this.timeout(300_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;
  let dir = '';
  const client_id = `export-client-${run}`;
  let caseId = '';
  let companyId = '';
  let subjectId = '';

  const cli = (...argv: string[]) => runCliWith(cliEnvOf(svc), ...argv);

  /** Runs a CLI command that must succeed. */
  const succeeds = async (...argv: string[]) => {
    const r = await cli(...argv);
    expect(r.code, `${argv.join(' ')}: ${r.stderr}${r.stdout}`).to.equal(0);
    return r;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'casestream-export-it-'));
    stub = await startConfigServiceStub({ rules: { [`CASE_CREATED_KYB_${CASE_TYPE}`]: [welcome] } });
    svc = await new ServiceHarness({ API_TOKEN: TOKEN, CONFIG_SERVICE_URL: stub.url }).start();
    await svc.sendClientData({
      value: {
        client_id,
        version: '1.0',
        type: CASE_TYPE,
        traitement_type: 'KYB',
        company_profile: {
          registered_name: 'Export Evidence Ltd',
          registration_number: 'EE-1',
          country_of_incorporation: 'GB',
          registered_address: { country: 'GB' },
        },
        persons: [subject, colleague],
        beneficial_owners: [owner],
      },
      messageId: `export-${run}`,
    });
    const created = await svc.caseOf(client_id);
    caseId = created.id as string;
    companyId = created.company_id as string;
    const persons = await waitFor(async () => {
      const found = await svc.db.collection('persons').find({ case_id: caseId }).toArray();
      return found.length === 2 ? found : undefined;
    });
    subjectId = String(persons.find((p) => p.firstname === subject.firstname)!._id);
    await waitFor(() => svc.notifications.some((n) => n.key === caseId), 20_000, { description: 'the notification' });

    await succeeds('hold', 'place', '--case', caseId, '--reason', 'AML investigation 2025-3', '--by', 'legal-bob');
    await succeeds('hold', 'lift', '--case', caseId, '--reason', 'investigation closed', '--by', 'legal-carol');
    await succeeds('erase', '--case', caseId, '--person', subjectId, '--reason', 'GDPR art. 17 request #815', '--by', 'dpo-alice');
    const closing = await fetch(`${svc.httpUrl}/api/v1/cases/${caseId}/close`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ reason: 'due diligence complete' }),
    });
    expect(closing.status).to.equal(202);
    await waitFor(() => svc.db.collection<{ _id: string; status: string }>('cases').findOne({ _id: caseId, status: 'CLOSED' }), 30_000, {
      description: 'the case closed',
    });
    // the notification acknowledged by Kafka: out of the outbox
    await waitFor(async () =>
      (await svc.db.collection('notification_outbox').countDocuments({ aggregate_id: caseId })) === 0 ? true : undefined,
    );
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the case with every event and its envelope in version order, the company with its stream, and the read models, into a file only its owner can read', async () => {
    const file = join(dir, 'case.json');
    const r = await succeeds('export-case', caseId, '--out', file);
    expect(r.stdout).to.equal(`case ${caseId} exported to ${file}\n`);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    const doc = JSON.parse(await readFile(file, 'utf8')) as Json;

    expect(doc).to.include({ format: CASE_EXPORT_FORMAT, case_id: caseId });
    expect(Date.parse(doc.exported_at as string)).to.be.closeTo(Date.now(), 60_000);
    const stored = (id: string) => svc.events(id).then((events) => events.map((e) => JSON.parse(JSON.stringify(e)) as Json));
    const events = doc.events as Json[];
    expect(events).to.deep.equal(await stored(caseId));
    expect(events.map((e) => e.version)).to.deep.equal(events.map((_, i) => i + 1));
    expect(events.map((e) => e.event_type)).to.include.members(['CaseCreated', 'PersonAddedToCase', 'NotificationRequired']);
    expect(events.map((e) => e.event_type).slice(-4)).to.deep.equal([
      'LegalHoldPlaced',
      'LegalHoldLifted',
      'PersonalDataErased',
      'CaseClosed',
    ]);
    for (const e of events) {
      expect(Object.keys(e)).to.deep.equal(['event_id', 'event_type', 'aggregate_id', 'timestamp', 'version', 'payload', 'metadata']);
      expect(e.metadata).to.have.keys('correlation_id', 'causation_id', 'content_hash');
    }

    const company = doc.company as Json;
    expect(company).to.include({ company_id: companyId });
    expect(company.read_model).to.include({ id: companyId, registered_name: 'Export Evidence Ltd' });
    expect(company.events).to.deep.equal(await stored(companyId));
    expect(doc.case).to.include({ id: caseId, status: 'CLOSED', legal_hold: null, closure_reason: 'due diligence complete' });
    expect((doc.persons as Json[]).map((p) => p.id)).to.include(subjectId);
    expect(doc.beneficial_owners as Json[]).to.have.length(1);
    expect(doc.document_requirements as Json[]).to.not.be.empty;
  });

  it('lists the notification with its provenance and as published, the hold placed and lifted, the erasure and the closing, each with who, when and why', async () => {
    const doc = JSON.parse((await succeeds('export-case', caseId)).stdout) as Json;
    const [notification, ...more] = doc.notifications as Json[];
    expect(more).to.deep.equal([]);
    expect(notification).to.include({ event_type: 'NotificationRequired', aggregate_id: caseId, published: true });
    expect((notification!.payload as Json).provenance).to.include({ trigger: `CASE_CREATED_KYB_${CASE_TYPE}`, rule_id: 'WELCOME' });

    const versionOf = (type: string) => (doc.events as Json[]).find((e) => e.event_type === type)!;
    const act = (type: string) => ({ at: versionOf(type).timestamp, event_id: versionOf(type).event_id, version: versionOf(type).version });
    expect(doc.legal_holds).to.deep.equal([
      { action: 'placed', by: 'legal-bob', reason: 'AML investigation 2025-3', ...act('LegalHoldPlaced') },
      { action: 'lifted', by: 'legal-carol', reason: 'investigation closed', ...act('LegalHoldLifted') },
    ]);
    expect(doc.erasures).to.deep.equal([
      {
        by: 'dpo-alice',
        reason: 'GDPR art. 17 request #815',
        subject: { kind: 'person', id: subjectId },
        fields: ['firstname', 'lastname', 'birthdate', 'primary_contact_name', 'client_name'],
        ...act('PersonalDataErased'),
      },
    ]);
    expect(doc.closure).to.deep.equal({ by: 'api-token', reason: 'due diligence complete', ...act('CaseClosed') });
  });

  it('holds no original value of the erased person anywhere, showing them as erased, while the other person stays', async () => {
    const text = (await succeeds('export-case', caseId)).stdout;
    for (const value of [subject.firstname, subject.lastname, subject.birthdate]) expect(text, value).to.not.contain(value);
    const doc = JSON.parse(text) as Json;
    expect((doc.persons as Json[]).find((p) => p.id === subjectId)).to.include({ firstname: ERASED, lastname: ERASED, birthdate: null });
    expect(text).to.contain(colleague.firstname);
    expect(text).to.contain(owner.person_details.lastname);
  });

  it('answers an unknown case with exit 1 and a one-line reason, and an id that is no id with exit 2', async () => {
    const unknown = await cli('export-case', `no-such-case-${run}`);
    expect(unknown).to.include({ code: 1, stdout: '' });
    expect(unknown.stderr).to.equal(`casestream: no case no-such-case-${run}\n`);
    expect((await cli('export-case', companyId)).code, 'a company is no case').to.equal(1);
    expect((await cli('export-case', 'c'.repeat(201))).code).to.equal(2);
  });
});
