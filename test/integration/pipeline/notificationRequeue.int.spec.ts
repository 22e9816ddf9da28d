import { expect } from 'chai';
import { outboxCollection } from '../../../src/infra/mongo/eventStore.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { FORGETFUL_SERVICE_ENV, forgetCases, nextPublished, outboxEntryGone, publishedFor as publishedOf } from './forgetfulService.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

/**
 * A crash between the append of a notification and the insert of its outbox entry leaves the
 * notification stored with nothing to publish it; the redelivered message must put it back in the
 * outbox. Against the real stack: the crash is played by deleting the entry and letting the
 * service's actors forget the case, then the same message is sent again.
 */

type Json = Record<string, unknown>;

const run = uniqueName('requeue').toUpperCase().replace(/-/g, '_');
const CASE_TYPE = `REQUEUE_${run}`;
// Its own trigger: the lookup of the retried case must fail, and the rule cache (shared Redis) knows the other one.
const RETRIED_TYPE = `REQUEUE_RETRY_${run}`;
const welcome = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

const kyc = (client_id: string, type = CASE_TYPE) => ({
  client_id,
  version: '1.0',
  type,
  traitement_type: 'KYC',
  persons: [{ firstname: 'Ada', lastname: 'Lovelace' }],
});

describe('a redelivered message re-queues the notification whose outbox entry a crash lost, against the real stack', function () {
  this.timeout(300_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  const publishedFor = (case_id: string, from = 0): Json[] => publishedOf(svc, case_id, from);

  const storedNotification = async (case_id: string): Promise<Json> => {
    const [stored] = await svc.db.collection('domain_events').find({ aggregate_id: case_id, event_type: 'NotificationRequired' }).toArray();
    return stored!;
  };

  const outboxEmptyOf = (event_id: string) => outboxEntryGone(svc, event_id);

  /**
   * A crash loses the outbox entry of `first` and the service forgets its case; the message that
   * recorded it, sent again, publishes it again as stored, and the outbox ends empty.
   */
  const publishedAgainAfterCrash = async (case_id: string, first: Json, sendAgain: () => Promise<unknown>, description: string) => {
    await crashLosesTheEntryOf(first.event_id as string);
    const earlier = svc.notifications.length;
    await sendAgain();
    const again = await nextPublished(svc, case_id, earlier, description, 30_000);
    expect(again).to.deep.equal(first);
    expect(again).to.deep.include({ event_id: (await storedNotification(case_id)).event_id });
    await outboxEmptyOf(first.event_id as string);
  };

  /** What a crash right after the events' insert leaves: no outbox entry, and a service that knows nothing of the case. */
  const crashLosesTheEntryOf = async (event_id: string): Promise<void> => {
    await outboxCollection(svc.db).deleteOne({ _id: event_id });
    await forgetCases();
  };

  before(async () => {
    stub = await startConfigServiceStub({
      rules: { [`CASE_CREATED_KYC_${CASE_TYPE}`]: [welcome], [`CASE_CREATED_KYC_${RETRIED_TYPE}`]: [welcome] },
    });
    svc = await new ServiceHarness({
      CONFIG_SERVICE_URL: stub.url,
      ...FORGETFUL_SERVICE_ENV,
    }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  let createdCase = '';
  let retriedCase = '';

  it('publishes again, as stored, the notification of a redelivered client message, and leaves the outbox empty', async () => {
    const message = { value: kyc('requeue-created'), messageId: `requeue-created-${run}` };
    await svc.sendClientData(message);
    createdCase = (await svc.caseOf('requeue-created')).id as string;
    const first = await nextPublished(svc, createdCase, 0, 'the notification');
    await outboxEmptyOf(first.event_id as string);

    await publishedAgainAfterCrash(createdCase, first, () => svc.sendClientData(message), 'the notification published again');
  });

  it('publishes again, as stored, the notification a redelivered lookup retry recorded, and leaves the outbox empty', async () => {
    stub.setMode({ mode: 'error', status: 503 });
    await svc.sendClientData({ value: kyc('requeue-retried', RETRIED_TYPE), messageId: `requeue-retried-${run}` });
    retriedCase = (await svc.caseOf('requeue-retried')).id as string;
    const trigger = `CASE_CREATED_KYC_${RETRIED_TYPE}`;
    await waitFor(() => svc.db.collection('notification_lookup_failures').findOne({ case_id: retriedCase }), 20_000, {
      description: 'the failed lookup',
    });
    stub.reset();
    const command_id = `retry-${run}`;
    const retry = {
      value: { command_type: 'RetryNotificationLookup', command_id, case_id: retriedCase, trigger },
      key: retriedCase,
      headers: { 'message-id': command_id },
    };
    await svc.sendCommand(retry);
    const first = await nextPublished(svc, retriedCase, 0, 'the retried notification');
    expect((first.metadata as Json).causation_id).to.equal(command_id);
    await outboxEmptyOf(first.event_id as string);

    await publishedAgainAfterCrash(retriedCase, first, () => svc.sendCommand(retry), 'the retried notification published again');
  });

  it('publishes nothing again for ordinary messages: a new case and a command of a notified case', async () => {
    const before = { created: publishedFor(createdCase).length, retried: publishedFor(retriedCase).length };
    await svc.sendClientData({ value: kyc('requeue-other'), messageId: `requeue-other-${run}` });
    const otherCase = (await svc.caseOf('requeue-other')).id as string;
    const close_id = `close-${run}`;
    await svc.sendCommand({
      value: { command_type: 'CloseCase', command_id: close_id, case_id: createdCase, reason: 'done' },
      key: createdCase,
      headers: { 'message-id': close_id },
    });
    await waitFor(() => svc.db.collection('command_results').findOne({ _id: close_id as never, status: 'processed' }), 20_000, {
      description: 'the closing',
    });
    await waitFor(() => publishedFor(otherCase).length > 0, 20_000, { description: "the new case's notification" });

    // time for the relay to publish anything left in the outbox, past its grace
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await outboxCollection(svc.db).countDocuments()).to.equal(0);
    expect(publishedFor(otherCase)).to.have.length(1);
    expect({ created: publishedFor(createdCase).length, retried: publishedFor(retriedCase).length }).to.deep.equal(before);
  });
});
