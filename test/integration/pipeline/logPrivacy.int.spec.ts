import { expect } from 'chai';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { waitFor } from '../../support/stack.js';

const SECRET = 'S3cr3t-P4ssw0rd';
const PERSONAL = ['Zebediah', 'Quuxington', '1911-11-11', 'Wilhelmina', 'Frobisher', '1922-02-22'];

describe('the logs of the service', function () {
  this.timeout(90_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  before(async () => {
    stub = await startConfigServiceStub({
      rules: {
        CASE_CREATED_KYC_INDIVIDUAL_STANDARD: [
          { rule_id: 'R', is_active: true, notification_type: 'EMAIL', template_id: 'T', language_code: 'en' },
        ],
      },
    });
    // The most talkative level, and a Redis password that Redis does not expect (so it is refused and logged about).
    svc = await new ServiceHarness({
      CONFIG_SERVICE_URL: stub.url,
      LOG_LEVEL: 'trace',
      REDIS_URL: `redis://:${SECRET}@127.0.0.1:6379/14`,
    }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  it('never contain a secret or personal data, whatever the messages do', async () => {
    const person = { firstname: 'Zebediah', lastname: 'Quuxington', birthdate: '1911-11-11' };
    await svc.sendClientData(
      { value: { client_id: 'privacy-ok', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [person] } },
      { value: { client_id: 'privacy-bad', version: '9.9', type: 'X', traitement_type: 'KYC', persons: [{ ...person, firstname: 42 }] } },
      { value: '{"firstname": "Wilhelmina", "lastname": "Frobisher", "birthdate": "1922-02-22"' },
      {
        value: {
          client_id: 'privacy-kyb',
          version: '1.0',
          type: 'COMPANY_STANDARD',
          traitement_type: 'KYB',
          company_profile: {
            registered_name: 'R',
            registration_number: 'N',
            country_of_incorporation: 'GB',
            registered_address: { country: 'GB' },
          },
          persons: [{ firstname: 'Wilhelmina', lastname: 'Frobisher', birthdate: '1922-02-22', role_in_company: 'Director' }],
          beneficial_owners: [{ person_details: person, ownership_percentage: 101 }],
        },
      },
    );
    await svc.caseOf('privacy-ok');
    await waitFor(() => svc.deadLetters.length >= 3, 20_000, { description: 'three dead letters' });
    await waitFor(() => svc.notifications.length >= 1, 20_000, { description: 'the notification' });
    const logs = svc.logLines.join('\n');
    expect(svc.logLines.length).to.be.greaterThan(5);
    expect(logs).to.contain('message rejected to the dead-letter topic');
    for (const needle of [SECRET, ...PERSONAL]) expect(logs, `the logs contain ${needle}`).to.not.contain(needle);
  });
});
