import { expect } from 'chai';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import { decideCaseCreation } from '../../../src/domain/decideCaseCreation.js';
import { decideNotification, decideNotificationRetry } from '../../../src/domain/decideNotification.js';
import type { NotificationRequired } from '../../../src/domain/events.js';
import { toApiNotification } from '../../../src/infra/mongo/caseQueries.js';
import { creationCommand, FETCHED_AT, found, rawKybMessage, rawKycMessage, rightOf } from '../domain/fixtures.js';
import { startHarness, tokensOf, type Harness } from './harness.js';

const TOKEN = 'notifications-spec-token-0123456789abcdef';
const welcome = {
  rule_id: 'EMAIL_WELCOME_KYC',
  is_active: true,
  notification_type: 'EMAIL',
  template_id: 'KYC_WELCOME',
  language_code: 'en',
};

// A KYC case notified at creation from a cached rule, and a KYB case notified by a retry of its failed lookup.
const kyc = creationCommand(rawKycMessage(), 'kyc-key');
const kycEvents = decideCaseCreation(kyc);
const kycNotification = decideNotification(kyc, found({ ...welcome, version: 3 }, 'cache'), kycEvents.length);

const kyb = creationCommand(rawKybMessage(), 'kyb-key');
const kybEvents = decideCaseCreation(kyb);
const kybState = evolveCase(emptyCase(kyb.case_id), kybEvents);
const retried = rightOf(
  decideNotificationRetry(
    kybState,
    {
      command_type: 'RetryNotificationLookup',
      command_id: 'retry-1',
      case_id: kyb.case_id,
      trigger: 'CASE_CREATED_KYB_KYB_STANDARD',
      key: 'retry-key',
      content_hash: 'retry-content',
      timestamp: new Date('2024-03-02T08:00:00.000Z'),
    },
    found(welcome),
  ),
)[0]!;

/** A notification stored before casestream kept provenance. */
const legacy = (n: NotificationRequired): NotificationRequired => {
  const { provenance: _dropped, ...payload } = n.payload;
  return { ...n, event_id: `${n.event_id}-legacy`, version: n.version + 1, payload };
};

/** The stored documents as the database answers them, JSON-shaped like the HTTP answer. */
const asJson = (u: unknown): unknown => JSON.parse(JSON.stringify(u));

describe('GET /api/v1/cases/{case_id}/notifications', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.server.close();
  });
  beforeEach(() => {
    h.queries.events = [...kycEvents, kycNotification, legacy(kycNotification), ...kybEvents, retried].map((e) => ({ ...e }));
    h.queries.pendingNotifications = new Set([`${kycNotification.event_id}-legacy`]);
  });

  it("lists the case's notifications in version order, each with why it was sent and whether Kafka acknowledged it", async () => {
    const r = await h.call(`/api/v1/cases/${kyc.case_id}/notifications`);
    expect(r.status).to.equal(200);
    const [first, second] = r.body as Record<string, unknown>[];
    expect(first).to.deep.equal({ ...(asJson(kycNotification) as object), published: true });
    expect((first!.payload as Record<string, unknown>).provenance).to.deep.equal({
      trigger: 'CASE_CREATED_KYC_STANDARD_DUE_DILIGENCE',
      rule_id: 'EMAIL_WELCOME_KYC',
      rule_version: 3,
      source: 'cache',
      answer_source: 'cache',
      fetched_at: FETCHED_AT,
    });
    expect(second).to.deep.include({ version: kycNotification.version + 1, published: false });
  });

  it('shows a notification recorded before provenance was kept with provenance null', async () => {
    const r = await h.call(`/api/v1/cases/${kyc.case_id}/notifications`);
    const payload = (r.body as { payload: Record<string, unknown> }[])[1]!.payload;
    expect(payload.provenance).to.equal(null);
    expect(payload.notification_type).to.equal('EMAIL');
  });

  it('shows a notification a retried lookup sent with source retry, its cause the retry command', async () => {
    const r = await h.call(`/api/v1/cases/${kyb.case_id}/notifications`);
    expect(r.status).to.equal(200);
    const [notification] = r.body as { payload: { provenance: unknown }; metadata: { causation_id: string } }[];
    expect(notification!.payload.provenance).to.deep.include({ source: 'retry', answer_source: 'fresh', rule_version: null });
    expect(notification!.metadata.causation_id).to.equal('retry-1');
  });

  it('answers an empty list for a case without notifications, and 404 for a case that does not exist', async () => {
    h.queries.events = kycEvents.map((e) => ({ ...e }));
    expect(await h.call(`/api/v1/cases/${kyc.case_id}/notifications`)).to.deep.include({ status: 200, body: [] });
    expect(await h.call('/api/v1/cases/no-such-case/notifications')).to.deep.include({ status: 404, body: { detail: 'case not found' } });
  });

  it('pages with limit (default 50, max 500) and skip (max 100000), naming bad path and query parameters together', async () => {
    await h.call(`/api/v1/cases/${kyc.case_id}/notifications`);
    expect(h.queries.calls.at(-1)).to.deep.equal({ name: 'caseNotifications', args: [kyc.case_id, { limit: 50, skip: 0 }] });
    const r = await h.call(`/api/v1/cases/${kyc.case_id}/notifications?limit=1&skip=1`);
    expect((r.body as { version: number }[]).map((n) => n.version)).to.deep.equal([kycNotification.version + 1]);
    expect(await h.call(`/api/v1/cases/${'x'.repeat(201)}/notifications?limit=501&skip=100001`)).to.deep.include({
      status: 422,
      body: {
        detail: [
          { path: '$.path.case_id', rule: 'must be at most 200 characters' },
          { path: '$.query.limit', rule: 'must be an integer from 1 to 500' },
          { path: '$.query.skip', rule: 'must be an integer from 0 to 100000' },
        ],
      },
    });
  });

  it('needs the token when one is configured', async () => {
    const guarded = await startHarness({ tokens: tokensOf({ reader: [TOKEN, 'read'] }) });
    try {
      guarded.queries.events = [...kycEvents, kycNotification].map((e) => ({ ...e }));
      const path = `/api/v1/cases/${kyc.case_id}/notifications`;
      expect((await guarded.call(path)).status).to.equal(401);
      expect(guarded.queries.calls).to.deep.equal([]);
      const r = await guarded.call(path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).to.equal(200);
      expect(r.body).to.have.length(1);
    } finally {
      await guarded.server.close();
    }
  });
});

describe('toApiNotification', () => {
  it('keeps the stored event as it is and adds whether it was published', () => {
    expect(toApiNotification(kycNotification, false)).to.deep.equal({ ...kycNotification, published: false });
  });

  it('gives an event stored without provenance a null provenance, leaving the rest of its payload alone', () => {
    const old = legacy(kycNotification);
    expect(toApiNotification(old, true)).to.deep.equal({ ...old, payload: { ...old.payload, provenance: null }, published: true });
  });
});
