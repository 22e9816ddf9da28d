import { expect } from 'chai';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { cliEnvOf, runCliWith } from '../../support/cli.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { KAFKA_BROKERS, sleep, uniqueName, waitFor } from '../../support/stack.js';

const run = uniqueName('ret');
const CASE_RETENTION_MS = 4_000;

const clientData = (client_id: string) => ({
  key: client_id,
  value: {
    client_id,
    version: '1.0',
    type: 'INDIVIDUAL_STANDARD',
    traitement_type: 'KYC',
    persons: [{ firstname: 'Ada', lastname: 'Kept', birthdate: '1990-01-01' }],
  },
});

const kybData = (client_id: string) => ({
  key: client_id,
  value: {
    client_id,
    version: '1.0',
    type: 'COMPANY_STANDARD',
    traitement_type: 'KYB',
    company_profile: {
      registered_name: 'Retention Test Ltd',
      registration_number: 'RT-1',
      country_of_incorporation: 'GB',
      registered_address: { country: 'GB' },
    },
    persons: [{ firstname: 'Grace', lastname: 'Kept', birthdate: '1980-02-02', role_in_company: 'Director' }],
    beneficial_owners: [
      {
        person_details: { firstname: 'Owen', lastname: 'Kept', birthdate: '1970-03-03' },
        ownership_percentage: 60,
        types_of_control: ['SHAREHOLDING_OVER_25'],
        is_ubo: true,
      },
    ],
  },
});

interface DueCase {
  case_id: string;
  client_id: string;
  type: string;
  traitement_type: string;
  closed_at: string;
  closure_reason: string;
  personal_data_left: number;
}

interface DueReport {
  retention: string;
  closed_before: string;
  cases: DueCase[];
  held: DueCase[];
  erased: DueCase[];
}

describe('retention with short settings (service and CLI)', function () {
  this.timeout(120_000);
  let svc: ServiceHarness;

  before(async () => {
    svc = await new ServiceHarness({
      RETENTION_RAW_EVENTS: '3s',
      RETENTION_SWEEP_INTERVAL: '300ms',
      RETENTION_DLQ_TOPIC: '1d',
    }).start();
  });

  after(async () => {
    await svc?.stop();
  });

  /** Runs the CLI against the harness's database, closed cases kept CASE_RETENTION_MS. */
  const dueForErasure = (...flags: string[]) =>
    runCliWith(cliEnvOf(svc, { RETENTION_CASE_CLOSED: `${CASE_RETENTION_MS}ms` }), 'cases', 'due-for-erasure', ...flags);

  const rawCopyOf = (client_id: string) => svc.db.collection('raw_events').findOne({ 'payload.client_id': client_id });

  it('creates its dead-letter topic with RETENTION_DLQ_TOPIC as retention.ms', async () => {
    const admin = new Kafka({ clientId: 'casestream-tests', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: svc.env.KAFKA_DLQ_TOPIC, configNames: ['retention.ms'] }],
      });
      expect(resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).to.equal('86400000');
    } finally {
      await admin.disconnect();
    }
  });

  it('deletes a raw copy once it is older than RETENTION_RAW_EVENTS, keeps a fresh one, and counts what it deleted', async () => {
    await svc.sendClientData(clientData(`${run}-old`));
    await waitFor(() => rawCopyOf(`${run}-old`), 20_000, { description: 'the first raw copy' });
    await sleep(1_500);
    await svc.sendClientData(clientData(`${run}-new`));
    await waitFor(() => rawCopyOf(`${run}-new`), 20_000, { description: 'the second raw copy' });

    await waitFor(async () => (await rawCopyOf(`${run}-old`)) === null, 15_000, { description: 'the first raw copy to expire' });
    expect(await rawCopyOf(`${run}-new`), 'a raw copy younger than the setting').not.to.equal(null);
    // only the raw copy goes: the case it created is kept
    expect(await svc.caseOf(`${run}-old`)).to.include({ status: 'OPEN' });
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).to.match(/^casestream_retention_deleted_total\{collection="raw_events"\} [1-9]\d*$/m);
  });

  it('reports a case closed longer than RETENTION_CASE_CLOSED as due for erasure, and neither an open case nor one closed just now', async () => {
    await svc.sendClientData(clientData(`${run}-closed-long`), clientData(`${run}-open`), clientData(`${run}-closed-now`));
    const longId = (await svc.caseOf(`${run}-closed-long`)).id as string;
    const openId = (await svc.caseOf(`${run}-open`)).id as string;
    const nowId = (await svc.caseOf(`${run}-closed-now`)).id as string;

    await svc.sendCommand({
      key: longId,
      value: { command_type: 'CloseCase', command_id: `${run}-close-long`, case_id: longId, reason: 'business relationship ended' },
    });
    const closed = await waitFor(() => svc.db.collection('cases').findOne({ _id: longId as never, status: 'CLOSED' }), 20_000, {
      description: 'the case to be closed',
    });
    expect(closed).to.include({ closure_reason: 'business relationship ended', closed_by: 'SYSTEM' });
    expect(closed['closed_at']).to.be.instanceOf(Date);

    // its documents change no more: a command on it is refused, with when it was closed
    await svc.sendCommand({
      key: longId,
      value: {
        command_type: 'DetermineDocumentRequirements',
        command_id: `${run}-after-close`,
        case_id: longId,
        entity_id: 'x',
        entity_type: 'PERSON',
      },
    });
    const refused = await waitFor(() => svc.db.collection('command_results').findOne({ _id: `${run}-after-close` as never }), 20_000);
    expect(refused).to.include({ status: 'rejected' });
    expect(refused['reason']).to.match(new RegExp(`^case ${longId} is closed since `));

    await sleep(CASE_RETENTION_MS + 500);
    const viaApi = await fetch(`${svc.httpUrl}/api/v1/cases/${nowId}/close`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'client left' }),
    });
    expect(viaApi.status).to.equal(202);
    await waitFor(() => svc.db.collection('cases').findOne({ _id: nowId as never, status: 'CLOSED' }), 20_000);
    const eventsBefore = (await svc.events(longId)).length;

    const report = await dueForErasure('--json');
    expect(report.code, report.stderr).to.equal(0);
    const due = JSON.parse(report.stdout) as DueReport;
    expect(due.retention).to.equal('4s');
    expect(due.cases.map((c) => c.case_id)).to.deep.equal([longId]);
    expect(due.cases[0]).to.deep.include({
      client_id: `${run}-closed-long`,
      type: 'INDIVIDUAL_STANDARD',
      traitement_type: 'KYC',
      closure_reason: 'business relationship ended',
    });
    expect(Date.parse(due.cases[0]!.closed_at)).to.be.below(Date.parse(due.closed_before));
    expect(due.cases[0]!.personal_data_left, 'its one person').to.equal(1);
    expect(due.held).to.deep.equal([]);
    expect(due.erased).to.deep.equal([]);
    expect([...due.cases, ...due.held].map((c) => c.case_id)).not.to.include.members([openId, nowId]);

    const human = await dueForErasure();
    expect(human.stdout).to.contain(longId);
    expect(human.stdout).to.match(
      /1 case\(s\) closed before .* \(RETENTION_CASE_CLOSED=4s\): due for erasure; casestream erases nothing by itself/,
    );
    // a report only: the case and its history are all still there
    expect(await svc.db.collection('cases').findOne({ _id: longId as never })).to.include({ status: 'CLOSED' });
    expect(await svc.events(longId)).to.have.length(eventsBefore);
  });

  it('counts the data subjects of a closed case that still hold personal data, and no longer reports it as due once all are erased', async () => {
    const client_id = `${run}-kyb-erased`;
    await svc.sendClientData(kybData(client_id));
    const caseId = (await svc.caseOf(client_id)).id as string;
    const personId = String((await waitFor(() => svc.db.collection('persons').findOne({ case_id: caseId }), 20_000))._id);
    const ownerId = String((await waitFor(() => svc.db.collection('beneficial_owners').findOne({ case_id: caseId }), 20_000))._id);
    await svc.sendCommand({
      key: caseId,
      value: { command_type: 'CloseCase', command_id: `${run}-close-kyb`, case_id: caseId, reason: 'business relationship ended' },
    });
    await waitFor(() => svc.db.collection('cases').findOne({ _id: caseId as never, status: 'CLOSED' }), 20_000, {
      description: 'the KYB case to be closed',
    });
    await sleep(CASE_RETENTION_MS + 500);

    const report = async (): Promise<DueReport> => {
      const r = await dueForErasure('--json');
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout) as DueReport;
    };
    const erase = async (...subject: string[]) => {
      const r = await runCliWith(cliEnvOf(svc), 'erase', '--case', caseId, ...subject, '--reason', 'retention over', '--json');
      expect(r.code, r.stderr + r.stdout).to.equal(0);
    };
    const dueLeft = (due: DueReport) => due.cases.find((c) => c.case_id === caseId)?.personal_data_left;

    expect(dueLeft(await report()), 'the person and the beneficial owner').to.equal(2);
    const table = await dueForErasure();
    expect(table.stdout).to.match(/PERSONAL_DATA_LEFT/);
    expect(table.stdout.split('\n').find((line) => line.startsWith(caseId))).to.match(/ 2$/);

    await erase('--person', personId);
    expect(dueLeft(await report()), 'the beneficial owner').to.equal(1);

    await erase('--beneficial-owner', ownerId);
    const due = await report();
    expect(due.cases.map((c) => c.case_id)).not.to.include(caseId);
    expect(due.held.map((c) => c.case_id)).not.to.include(caseId);
    expect(due.erased.map((c) => [c.case_id, c.personal_data_left])).to.deep.equal([[caseId, 0]]);
    const human = await dueForErasure();
    expect(human.stdout).not.to.contain(caseId);
    expect(human.stdout).to.contain('1 more closed case(s) hold no personal data any more: nothing to erase');
  });
});
