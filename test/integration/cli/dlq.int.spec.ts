import { expect } from 'chai';
import { idsFor } from '../../../src/domain/deterministicId.js';
import { documentRequirementId } from '../../../src/domain/decideCaseCreation.js';
import { cliEnvOf, runCliWith } from '../../support/cli.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

describe('casestream dlq commands', function () {
  this.timeout(120_000);
  let svc: ServiceHarness;

  before(async () => {
    svc = await new ServiceHarness().start();
  });

  after(async () => {
    await svc?.stop();
  });

  const cli = (...argv: string[]) => runCliWith(cliEnvOf(svc), ...argv);

  it('lists and shows dead letters, and re-submits one that can succeed once the upstream is fixed', async () => {
    const messageId = uniqueName('dlq-case');
    const ids = idsFor(messageId);
    const caseId = ids.of('case');
    const personId = ids.of('person', 0);
    const docId = documentRequirementId(ids, personId, 'PASSPORT');
    // A status update that arrives before its case exists: rejected.
    await svc.sendCommand({
      key: caseId,
      value: {
        command_type: 'UpdateDocumentStatus',
        command_id: 'early',
        case_id: caseId,
        document_requirement_id: docId,
        new_status: 'UPLOADED',
      },
    });
    await svc.sendClientData({ value: '{"not": "json"', messageId: 'broken-1' });
    await waitFor(() => svc.deadLetters.length >= 2, 20_000, { description: 'two dead letters' });

    const listed = await cli('dlq', 'list', '--json');
    expect(listed.code, listed.stderr).to.equal(0);
    const rows = JSON.parse(listed.stdout) as { position: string; source: string; reason: string; message_id: string | null }[];
    expect(rows).to.have.length(2);
    const early = rows.find((r) => r.source.startsWith(svc.env.KAFKA_COMMAND_TOPIC))!;
    expect(early.reason).to.contain(`unknown case ${caseId}`);
    expect(rows.find((r) => r.message_id === 'broken-1')!.reason).to.contain('not valid JSON');

    const shown = await cli('dlq', 'show', early.position);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.contain('$.case_id');
    expect(shown.stdout).to.contain('"new_status":"UPLOADED"');

    // The upstream is fixed: the case now exists.
    await svc.sendClientData({
      value: {
        client_id: 'dlq-client',
        version: '1.0',
        type: 'INDIVIDUAL_STANDARD',
        traitement_type: 'KYC',
        persons: [{ firstname: 'A', lastname: 'B' }],
      },
      messageId,
    });
    await waitFor(() => svc.db.collection<{ _id: string }>('document_requirements').findOne({ _id: docId }), 20_000, {
      description: 'the case',
    });

    const replayed = await cli('dlq', 'replay', early.position);
    expect(replayed.code, replayed.stderr).to.equal(0);
    expect(replayed.stdout).to.contain(`re-submitted ${early.position} to ${svc.env.KAFKA_COMMAND_TOPIC}`);
    await waitFor(
      () => svc.db.collection<{ _id: string; status: string }>('document_requirements').findOne({ _id: docId, status: 'UPLOADED' }),
      20_000,
      { description: 'the replayed command applied' },
    );
    expect(svc.deadLetters).to.have.length(2);
  });

  it('says which dead letter does not exist, with a non-zero exit', async () => {
    const { code, stderr } = await cli('dlq', 'show', '0/999999');
    expect(code).to.equal(1);
    expect(stderr).to.contain('no dead letter at 0/999999');
  });
});
