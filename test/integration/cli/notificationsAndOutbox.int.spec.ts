import { expect } from 'chai';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import { createCaseCommand } from '../../../src/domain/commands.js';
import { decodeClientMessage } from '../../../src/domain/clientMessage.js';
import { outboxCollection, toEventDocument, type EventDocument } from '../../../src/infra/mongo/eventStore.js';
import type { NotificationRequired } from '../../../src/domain/events.js';
import { runCliWith } from '../../support/cli.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

const run = uniqueName('cli').toUpperCase().replace(/-/g, '_');
const welcome = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

/** Runs the CLI with the harness's settings. */
const cli = (svc: ServiceHarness, extraEnv: Record<string, string>, ...argv: string[]) => {
  const s = svc.settings;
  return runCliWith(
    {
      KAFKA_BOOTSTRAP_SERVERS: s.KAFKA_BOOTSTRAP_SERVERS.join(','),
      NOTIFICATION_KAFKA_TOPIC: s.NOTIFICATION_KAFKA_TOPIC,
      KAFKA_DLQ_TOPIC: s.KAFKA_DLQ_TOPIC,
      MONGO_DETAILS: s.MONGO_DETAILS,
      DB_NAME: s.DB_NAME,
      REDIS_URL: s.REDIS_URL,
      ...extraEnv,
    },
    ...argv,
  );
};

const outboxEntry = (n: NotificationRequired, pending_since: Date) => ({ _id: n.event_id, aggregate_id: n.aggregate_id, version: n.version, pending_since, event: toEventDocument(n) });

describe('casestream notifications and outbox commands', function () {
  this.timeout(120_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;

  before(async () => {
    stub = await startConfigServiceStub({ rules: { [`CASE_CREATED_KYC_RETRY_${run}`]: [welcome] } });
    svc = await new ServiceHarness({ CONFIG_SERVICE_URL: stub.url, OUTBOX_RELAY_INTERVAL_MS: '300', OUTBOX_GRACE_MS: '0' }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
  });

  it('records a failed rule lookup, and `notifications retry` later emits the notification exactly once', async () => {
    stub.setMode({ mode: 'error', status: 503 });
    await svc.sendClientData({ value: { client_id: 'retry-1', version: '1.0', type: `RETRY_${run}`, traitement_type: 'KYC', persons: [{ firstname: 'Ann', lastname: 'Lee' }] } });
    const caseId = (await svc.caseOf('retry-1')).id as string;
    const failure = await waitFor(() => svc.db.collection('notification_lookup_failures').findOne({ case_id: caseId }), 20_000);
    expect(failure).to.include({ trigger: `CASE_CREATED_KYC_RETRY_${run}`, status: 'open' });

    const stillDown = await cli(svc, { CONFIG_SERVICE_URL: stub.url }, 'notifications', 'retry', '--json');
    expect(stillDown.code, stillDown.stderr).to.equal(1);
    const stillFailing = JSON.parse(stillDown.stdout) as { case_id: string; outcome: string }[];
    expect(stillFailing.map((o) => [o.case_id, o.outcome])).to.deep.equal([[caseId, 'still-failing']]);

    stub.reset();
    const retried = await cli(svc, { CONFIG_SERVICE_URL: stub.url }, 'notifications', 'retry', '--json');
    expect(retried.code, retried.stderr).to.equal(0);
    const outcomes = JSON.parse(retried.stdout) as { case_id: string; outcome: string; event_id?: string }[];
    expect(outcomes.map((o) => [o.case_id, o.outcome])).to.deep.equal([[caseId, 'notified']]);
    const published = await waitFor(() => svc.notifications.find((n) => n.key === caseId), 20_000, { description: 'the retried notification' });
    expect(JSON.parse(published.value!)).to.include({ event_id: outcomes[0]!.event_id, version: 5 });
    expect(await svc.db.collection('notification_lookup_failures').findOne({ case_id: caseId })).to.include({ status: 'resolved' });

    const again = await cli(svc, { CONFIG_SERVICE_URL: stub.url }, 'notifications', 'retry');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain('no failed rule lookups to retry');
    expect(await svc.db.collection('domain_events').countDocuments({ aggregate_id: caseId, event_type: 'NotificationRequired' })).to.equal(1);
  });

  it('publishes a notification that was stored but never acknowledged (a crash between append and publish)', async () => {
    const message = decodeClientMessage({ client_id: 'crashed', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [] });
    if (message._tag === 'Left') throw new Error('bad fixture');
    const cmd = createCaseCommand(message.right, { key: `${run}-crashed`, content_hash: 'crashed-content', timestamp: new Date() });
    const events = decideCaseCreation(cmd);
    const notification = decideNotification(cmd, welcome, events.length);
    // What a crash right after the append leaves: the events, and the notification in the outbox.
    await svc.db.collection<EventDocument>('domain_events').insertMany([...events, notification].map(toEventDocument));
    await outboxCollection(svc.db).insertOne(outboxEntry(notification, new Date(Date.now() - 60_000)));

    const status = await cli(svc, {}, 'outbox', 'status', '--json');
    expect(JSON.parse(status.stdout).pending).to.be.at.least(1);

    const relayed = await waitFor(() => svc.notifications.find((n) => n.headers['event-id'] === notification.event_id), 20_000, { description: 'the relayed notification' });
    expect(relayed.key).to.equal(cmd.case_id);
    await waitFor(async () => (await outboxCollection(svc.db).findOne({ _id: notification.event_id })) === null, 10_000, { description: 'the acknowledgement' });
    const after = await cli(svc, {}, 'outbox', 'status', '--json');
    expect(JSON.parse(after.stdout)).to.include({ pending: 0 });
  });

  it('`outbox flush` publishes pending notifications on demand', async () => {
    const message = decodeClientMessage({ client_id: 'flushed', version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [] });
    if (message._tag === 'Left') throw new Error('bad fixture');
    const cmd = createCaseCommand(message.right, { key: `${run}-flushed`, content_hash: 'flushed-content', timestamp: new Date() });
    const notification = decideNotification(cmd, welcome, 0);
    await svc.db.collection<EventDocument>('domain_events').insertOne(toEventDocument(notification));
    await outboxCollection(svc.db).insertOne(outboxEntry(notification, new Date()));
    const flushed = await cli(svc, {}, 'outbox', 'flush');
    expect(flushed.code, flushed.stderr).to.equal(0);
    expect(flushed.stdout).to.match(/published \d+ pending notification/);
    await waitFor(() => svc.notifications.find((n) => n.headers['event-id'] === notification.event_id), 20_000, { description: 'the flushed notification' });
  });
});
