import { expect } from 'chai';
import { Redis } from 'ioredis';
import { encodeRuleCacheEntry, newRuleCacheEntry, ruleCacheKey } from '../../../src/infra/rules/ruleCache.js';
import { startConfigServiceStub, type ConfigServiceStub } from '../../../tools/config-service-stub/stub.js';
import { cliEnvOf, runCliWith } from '../../support/cli.js';
import { HARNESS_REDIS_URL, ServiceHarness } from '../../support/serviceHarness.js';
import { uniqueName, waitFor } from '../../support/stack.js';

/**
 * Why each notification was sent, end to end: the running service decides notifications from a
 * fresh Configuration Service answer, from its cache, from a stale cache entry while the service
 * fails, and on a retry of a failed lookup; GET /api/v1/cases/{case_id}/notifications and the
 * notification topic both show that provenance.
 */

const run = uniqueName('prov').toUpperCase().replace(/-/g, '_');
const TYPES = { fresh: `FRESH_${run}`, stale: `STALE_${run}`, retry: `RETRY_${run}` };
const triggerOf = (type: string) => `CASE_CREATED_KYC_${type}`;
const rule = (rule_id: string, extra: { version?: string | number } = {}) => ({
  rule_id,
  is_active: true,
  notification_type: 'EMAIL',
  template_id: `${rule_id}_TEMPLATE`,
  language_code: 'en',
  ...extra,
});

interface Provenance {
  trigger: string;
  rule_id: string;
  rule_version: string | number | null;
  source: string;
  answer_source: string;
  fetched_at: string;
}
interface ListedNotification {
  event_id: string;
  version: number;
  payload: { provenance: Provenance | null };
  metadata: { causation_id: string };
  published: boolean;
}

describe('notification provenance through the running service and its API', function () {
  this.timeout(120_000);
  let stub: ConfigServiceStub;
  let svc: ServiceHarness;
  let redis: Redis;

  before(async () => {
    stub = await startConfigServiceStub({
      rules: {
        [triggerOf(TYPES.fresh)]: [rule('WELCOME_FRESH', { version: 2 })],
        [triggerOf(TYPES.stale)]: [rule('WELCOME_NEWER')],
        [triggerOf(TYPES.retry)]: [rule('WELCOME_RETRY', { version: 'r7' })],
      },
    });
    redis = new Redis(HARNESS_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    svc = await new ServiceHarness({ CONFIG_SERVICE_URL: stub.url }).start();
  });

  after(async () => {
    await svc?.stop();
    await stub?.close();
    if (redis) {
      await redis.del(...Object.values(TYPES).map((type) => ruleCacheKey(triggerOf(type))));
      await redis.quit();
    }
  });

  const get = async (path: string) => {
    const res = await fetch(`${svc.httpUrl}${path}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  /** Creates a KYC case of `type` and waits until it has `count` notifications, all acknowledged by Kafka. */
  const createCase = async (client_id: string, type: string, count = 1) => {
    await svc.sendClientData({
      value: { client_id, version: '1.0', type, traitement_type: 'KYC', persons: [{ firstname: 'Ann', lastname: 'Lee' }] },
    });
    const case_id = (await svc.caseOf(client_id)).id as string;
    return { case_id, notifications: await notificationsOf(case_id, count) };
  };

  const notificationsOf = (case_id: string, count: number) =>
    waitFor(
      async () => {
        const r = await get(`/api/v1/cases/${case_id}/notifications`);
        const listed = r.body as ListedNotification[];
        return r.status === 200 && listed.length === count && listed.every((n) => n.published) ? listed : undefined;
      },
      20_000,
      { description: `${count} acknowledged notification(s) of ${case_id}` },
    );

  /** The provenance the notification topic carried for the case. */
  const publishedProvenance = async (case_id: string): Promise<Provenance> => {
    const message = await waitFor(() => svc.notifications.find((n) => n.key === case_id), 20_000, {
      description: `the notification of ${case_id} on the topic`,
    });
    return (JSON.parse(message.value!) as { payload: { provenance: Provenance } }).payload.provenance;
  };

  it('records a fresh answer of the Configuration Service, with the rule version it gave, on the API and on the topic', async () => {
    const { case_id, notifications } = await createCase('prov-fresh-1', TYPES.fresh);
    const provenance = notifications[0]!.payload.provenance!;
    expect(provenance).to.deep.include({
      trigger: triggerOf(TYPES.fresh),
      rule_id: 'WELCOME_FRESH',
      rule_version: 2,
      source: 'fresh',
      answer_source: 'fresh',
    });
    expect(Date.parse(provenance.fetched_at)).to.be.closeTo(Date.now(), 60_000);
    expect(await publishedProvenance(case_id)).to.deep.equal(provenance);
  });

  it('records an answer the cache still held as cache, with the time the service gave it', async () => {
    const requestsBefore = stub.state().requests;
    const { case_id, notifications } = await createCase('prov-fresh-2', TYPES.fresh);
    const provenance = notifications[0]!.payload.provenance!;
    const firstCase = (await svc.caseOf('prov-fresh-1')).id as string;
    const firstProvenance = (await notificationsOf(firstCase, 1))[0]!.payload.provenance!;
    expect(provenance).to.deep.equal({ ...firstProvenance, source: 'cache', answer_source: 'cache' });
    expect(stub.state().requests, 'no call to the Configuration Service').to.equal(requestsBefore);
    expect(await publishedProvenance(case_id)).to.deep.equal(provenance);
  });

  it('records an expired cached answer served while the Configuration Service fails as stale', async () => {
    const trigger = triggerOf(TYPES.stale);
    const fetchedAt = Date.now() - 2 * 3600_000;
    const entry = newRuleCacheEntry(rule('WELCOME_OLDER', { version: 'v1' }), fetchedAt, 3600_000);
    await redis.set(ruleCacheKey(trigger), encodeRuleCacheEntry(entry), 'PX', 3600_000);
    stub.setMode({ mode: 'error', status: 503 });
    try {
      const { case_id, notifications } = await createCase('prov-stale-1', TYPES.stale);
      const provenance = notifications[0]!.payload.provenance!;
      expect(provenance).to.deep.equal({
        trigger,
        rule_id: 'WELCOME_OLDER',
        rule_version: 'v1',
        source: 'stale',
        answer_source: 'stale',
        fetched_at: new Date(fetchedAt).toISOString(),
      });
      expect(await publishedProvenance(case_id)).to.deep.equal(provenance);
    } finally {
      stub.reset();
    }
  });

  it('records a notification sent by `notifications retry` after a failed lookup as retry, the retry command its cause', async () => {
    const trigger = triggerOf(TYPES.retry);
    stub.setMode({ mode: 'error', status: 503 });
    await svc.sendClientData({
      value: { client_id: 'prov-retry-1', version: '1.0', type: TYPES.retry, traitement_type: 'KYC', persons: [] },
    });
    const case_id = (await svc.caseOf('prov-retry-1')).id as string;
    await waitFor(() => svc.db.collection('notification_lookup_failures').findOne({ case_id, status: 'open' }), 20_000, {
      description: 'the failed lookup',
    });
    expect(await get(`/api/v1/cases/${case_id}/notifications`)).to.deep.equal({ status: 200, body: [] });

    stub.reset();
    const retried = await runCliWith(cliEnvOf(svc), 'notifications', 'retry', '--json', '--wait-ms', '20000');
    expect(retried.code, retried.stderr).to.equal(0);
    const [outcome] = JSON.parse(retried.stdout) as { case_id: string; outcome: string; command_id: string }[];
    expect(outcome).to.deep.include({ case_id, outcome: 'notified' });

    const [notification] = await notificationsOf(case_id, 1);
    expect(notification!.payload.provenance).to.deep.include({
      trigger,
      rule_id: 'WELCOME_RETRY',
      rule_version: 'r7',
      source: 'retry',
      answer_source: 'fresh',
    });
    expect(notification!.metadata.causation_id).to.equal(outcome!.command_id);
    expect(await publishedProvenance(case_id)).to.deep.equal(notification!.payload.provenance);
  });

  it('answers 404 for a case that does not exist', async () => {
    expect(await get(`/api/v1/cases/no-such-case-${run}/notifications`)).to.deep.equal({ status: 404, body: { detail: 'case not found' } });
  });
});
