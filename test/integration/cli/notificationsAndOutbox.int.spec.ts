import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification } from '../../../src/domain/decideNotification.js';
import { createCaseCommand } from '../../../src/domain/commands.js';
import { decodeClientMessage } from '../../../src/domain/clientMessage.js';
import { idFor } from '../../../src/domain/deterministicId.js';
import { outboxCollection, toEventDocument, type EventDocument } from '../../../src/infra/mongo/eventStore.js';
import type { NotificationRequired } from '../../../src/domain/events.js';
import { cliEnvOf, runCliWith } from '../../support/cli.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { found } from '../../unit/domain/fixtures.js';
import { KAFKA_BROKERS, uniqueName, waitFor } from '../../support/stack.js';

const run = uniqueName('cli').toUpperCase().replace(/-/g, '_');
const welcome = { rule_id: 'WELCOME', is_active: true, notification_type: 'EMAIL', template_id: 'WELCOME_V1', language_code: 'en' };

/** Runs the CLI with the harness's settings. */
const cli = (svc: ServiceHarness, extraEnv: Record<string, string>, ...argv: string[]) => runCliWith(cliEnvOf(svc, extraEnv), ...argv);

/** The CreateCase command of a KYC message from `client_id`, as the pipeline would make it. */
const creationOf = (client_id: string) => {
  const message = decodeClientMessage({ client_id, version: '1.0', type: 'INDIVIDUAL_STANDARD', traitement_type: 'KYC', persons: [] });
  if (message._tag === 'Left') throw new Error('bad fixture');
  return createCaseCommand(message.right, { key: `${run}-${client_id}`, content_hash: `${client_id}-content`, timestamp: new Date() });
};

const outboxEntry = (n: NotificationRequired, pending_since: Date) => ({
  _id: n.event_id,
  aggregate_id: n.aggregate_id,
  version: n.version,
  pending_since,
});

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

  it('records a failed rule lookup; `notifications retry` has the running service notify the case once, in its actor', async () => {
    const trigger = `CASE_CREATED_KYC_RETRY_${run}`;
    const failures = svc.db.collection('notification_lookup_failures');
    stub.setMode({ mode: 'error', status: 503 });
    await svc.sendClientData({
      value: {
        client_id: 'retry-1',
        version: '1.0',
        type: `RETRY_${run}`,
        traitement_type: 'KYC',
        persons: [{ firstname: 'Ann', lastname: 'Lee' }],
      },
    });
    const caseId = (await svc.caseOf('retry-1')).id as string;
    const failure = await waitFor(() => failures.findOne({ case_id: caseId }), 20_000);
    expect(failure).to.include({ trigger, status: 'open', failures: 1 });

    // Still down: the service asks again for the retry command, and the failure stays open.
    const stillDown = await cli(svc, {}, 'notifications', 'retry', '--json', '--wait-ms', '20000');
    expect(stillDown.code, stillDown.stderr).to.equal(1);
    const stillFailing = JSON.parse(stillDown.stdout) as { case_id: string; outcome: string; command_id: string }[];
    expect(stillFailing.map((o) => [o.case_id, o.outcome])).to.deep.equal([[caseId, 'still-failing']]);
    expect(await failures.findOne({ case_id: caseId })).to.include({ status: 'open', failures: 2 });

    stub.reset();
    const retried = await cli(svc, {}, 'notifications', 'retry', '--json', '--wait-ms', '20000');
    expect(retried.code, retried.stderr).to.equal(0);
    const outcomes = JSON.parse(retried.stdout) as { case_id: string; outcome: string; command_id: string; event_id?: string }[];
    expect(outcomes.map((o) => [o.case_id, o.outcome])).to.deep.equal([[caseId, 'notified']]);
    const retry = outcomes[0]!;
    expect(retry.command_id, 'a retry after another failure is a new command').to.not.equal(stillFailing[0]!.command_id);

    // The pipeline appended it: the id the creation would have given it, the retry command as its cause.
    const creationKey = ((await svc.events(caseId))[0]!.metadata as { correlation_id: string }).correlation_id;
    const notificationId = idFor(creationKey, 'notification');
    expect(retry.event_id).to.equal(notificationId);
    const stored = await svc.db.collection('domain_events').find({ aggregate_id: caseId, event_type: 'NotificationRequired' }).toArray();
    expect(stored.map((e) => [e.event_id, e.version, e.metadata.correlation_id, e.metadata.causation_id])).to.deep.equal([
      [notificationId, 5, creationKey, retry.command_id],
    ]);
    expect(await svc.db.collection('command_results').findOne({ _id: retry.command_id as never })).to.deep.include({
      status: 'processed',
      event_ids: [notificationId],
    });
    expect(await failures.findOne({ case_id: caseId })).to.include({ status: 'resolved', outcome: 'notified', event_id: notificationId });
    const published = await waitFor(() => svc.notifications.find((n) => n.key === caseId), 20_000, {
      description: 'the retried notification',
    });
    const body = JSON.parse(published.value!) as { event_id: string; version: number; metadata: { causation_id: string } };
    expect(body).to.deep.include({ event_id: notificationId, version: 5 });
    expect(body.metadata.causation_id).to.equal(retry.command_id);

    // A second run finds nothing to do; a retry command sent anyway records nothing.
    const again = await cli(svc, {}, 'notifications', 'retry');
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout.trim()).to.equal('no failed rule lookups to retry');
    const extra = `${run}-retry-again`;
    await svc.sendCommand({ value: { command_type: 'RetryNotificationLookup', command_id: extra, case_id: caseId, trigger }, key: caseId });
    await waitFor(() => svc.db.collection('command_results').findOne({ _id: extra as never, status: 'processed' }), 20_000, {
      description: 'the extra retry',
    });
    expect(await svc.db.collection('command_results').findOne({ _id: extra as never })).to.deep.include({ event_ids: [] });
    expect(await svc.db.collection('domain_events').countDocuments({ aggregate_id: caseId, event_type: 'NotificationRequired' })).to.equal(
      1,
    );
    expect(await failures.findOne({ case_id: caseId }), 'the first outcome stays').to.include({ status: 'resolved', outcome: 'notified' });
    // Kafka may carry a copy more (the outbox relay runs with no grace here), never another notification.
    const ids = new Set(
      svc.notifications.filter((n) => n.key === caseId).map((n) => (JSON.parse(n.value!) as { event_id: string }).event_id),
    );
    expect([...ids]).to.deep.equal([notificationId]);
  });

  it('reports every retry as pending, and exits 1, when no service handles the commands within --wait-ms', async () => {
    const lonely = uniqueName('lonely');
    await svc.db.collection('notification_lookup_failures').insertOne({
      _id: `${lonely}|CASE_CREATED_KYC_X` as never,
      case_id: lonely,
      trigger: 'CASE_CREATED_KYC_X',
      status: 'open',
      failures: 1,
      first_failed_at: new Date(0),
      last_failed_at: new Date(0),
      last_reason: 'HTTP 503',
    });
    // The CLI sends to a command topic that no service reads.
    const admin = new Kafka({ clientId: 'casestream-tests', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: lonely, numPartitions: 1 }], waitForLeaders: true });
      const res = await cli(svc, { KAFKA_COMMAND_TOPIC: lonely }, 'notifications', 'retry', '--json', '--limit', '1', '--wait-ms', '1500');
      expect(res.code, res.stderr).to.equal(1);
      expect((JSON.parse(res.stdout) as { case_id: string; outcome: string }[]).map((o) => [o.case_id, o.outcome])).to.deep.equal([
        [lonely, 'pending'],
      ]);
    } finally {
      await svc.db.collection('notification_lookup_failures').deleteOne({ _id: `${lonely}|CASE_CREATED_KYC_X` as never });
      await admin.deleteTopics({ topics: [lonely] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('publishes a notification that was stored but never acknowledged (a crash between append and publish)', async () => {
    const cmd = creationOf('crashed');
    const events = decideCaseCreation(cmd);
    const notification = decideNotification(cmd, found(welcome), events.length);
    // What a crash right after the append leaves: the events, and the notification in the outbox.
    await svc.db.collection<EventDocument>('domain_events').insertMany([...events, notification].map(toEventDocument));
    await outboxCollection(svc.db).insertOne(outboxEntry(notification, new Date(Date.now() - 60_000)));

    const status = await cli(svc, {}, 'outbox', 'status', '--json');
    expect(JSON.parse(status.stdout).pending).to.be.at.least(1);

    const relayed = await waitFor(() => svc.notifications.find((n) => n.headers['event-id'] === notification.event_id), 20_000, {
      description: 'the relayed notification',
    });
    expect(relayed.key).to.equal(cmd.case_id);
    await waitFor(async () => (await outboxCollection(svc.db).findOne({ _id: notification.event_id })) === null, 10_000, {
      description: 'the acknowledgement',
    });
    const after = await cli(svc, {}, 'outbox', 'status', '--json');
    expect(JSON.parse(after.stdout)).to.include({ pending: 0 });
  });

  it('`outbox flush` publishes pending notifications on demand', async () => {
    const cmd = creationOf('flushed');
    const notification = decideNotification(cmd, found(welcome), 0);
    await svc.db.collection<EventDocument>('domain_events').insertOne(toEventDocument(notification));
    await outboxCollection(svc.db).insertOne(outboxEntry(notification, new Date()));
    const flushed = await cli(svc, {}, 'outbox', 'flush');
    expect(flushed.code, flushed.stderr).to.equal(0);
    expect(flushed.stdout).to.match(/published \d+ pending notification/);
    await waitFor(() => svc.notifications.find((n) => n.headers['event-id'] === notification.event_id), 20_000, {
      description: 'the flushed notification',
    });
  });
});
