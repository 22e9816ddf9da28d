import { expect } from 'chai';
import { ReadModelNames } from '../../../src/domain/projections.js';
import { runCliWith } from '../../support/cli.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { waitFor } from '../../support/stack.js';

const kyb = (client_id: string) => ({
  client_id,
  version: '1.0',
  type: 'ENHANCED_DUE_DILIGENCE',
  traitement_type: 'KYB',
  company_profile: { registered_name: 'Replay Ltd', registration_number: 'R1', country_of_incorporation: 'GB', registered_address: { country: 'GB' }, trading_name: null },
  persons: [
    { firstname: 'Ada', lastname: 'Director', role_in_company: 'Director' },
    { firstname: 'Bo', lastname: 'Clerk', birthdate: '1990-01-01' },
  ],
  beneficial_owners: [{ person_details: { firstname: 'Cy', lastname: 'Owner' }, ownership_percentage: 60, is_ubo: true }],
});

const snapshot = async (svc: ServiceHarness) => {
  const out: Record<string, unknown[]> = {};
  for (const name of ReadModelNames) out[name] = await svc.db.collection(name).find({}).sort({ _id: 1 }).toArray();
  return out;
};

describe('casestream replay', function () {
  this.timeout(120_000);
  let svc: ServiceHarness;

  before(async () => {
    svc = await new ServiceHarness().start();
  });

  after(async () => {
    await svc?.stop();
  });

  it('rebuilds read models identical to the live ones, and identical again when run twice', async () => {
    await svc.sendClientData({ value: kyb('replay-kyb') }, { value: { client_id: 'replay-kyc', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [{ firstname: 'Di', lastname: 'Solo' }] } });
    const kycCase = await svc.caseOf('replay-kyc');
    await svc.caseOf('replay-kyb');
    const doc = await waitFor(() => svc.db.collection('document_requirements').findOne({ case_id: kycCase.id, document_type: 'PASSPORT' }));
    await svc.sendCommand({
      key: String(kycCase.id),
      value: { command_type: 'UpdateDocumentStatus', command_id: 'replay-c1', case_id: kycCase.id, document_requirement_id: doc.id, new_status: 'UPLOADED', notes_to_add: ['n1'], metadata_changes: { pages: 2 } },
    });
    await waitFor(() => svc.db.collection('document_requirements').findOne({ _id: doc._id, status: 'UPLOADED' }));
    await waitFor(async () => (await svc.db.collection('beneficial_owners').countDocuments()) === 1);
    const live = await snapshot(svc);

    const env = { MONGO_DETAILS: svc.settings.MONGO_DETAILS, DB_NAME: svc.settings.DB_NAME };
    const { code, stdout, stderr } = await runCliWith(env, 'replay', '--json');
    expect(code, stderr).to.equal(0);
    const result = JSON.parse(stdout) as { events: number; documents: Record<string, number> };
    expect(result.events).to.equal(await svc.db.collection('domain_events').countDocuments());
    expect(result.documents).to.deep.equal({ cases: 2, persons: 3, companies: 1, beneficial_owners: 1, document_requirements: 7 });
    expect(await snapshot(svc)).to.deep.equal(live);

    expect((await runCliWith(env, 'replay')).code).to.equal(0);
    expect(await snapshot(svc)).to.deep.equal(live);
    const names = (await svc.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names.filter((n) => n.startsWith('replay_'))).to.deep.equal([]);
  });
});
