import { expect } from 'chai';
import { jsonBody, startHarness, tokensOf, type Harness } from './harness.js';

const WRITER = 'writer-token-0123456789';
const CLERK = 'clerk-token-01234567890';
const READER = 'reader-token-0123456789';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('erasure and legal hold routes (fake database)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      tokens: tokensOf({ 'dpo-alice': [WRITER, 'admin'], 'case-clerk': [CLERK, 'write'], 'ops-reader': [READER, 'read'] }),
    });
    h.queries.cases = [{ id: 'c1' }];
  });
  afterEach(async () => {
    await h.server.close();
  });

  describe('POST /api/v1/cases/{case_id}/erasures', () => {
    it('publishes EraseSubject with the subject, the reason and the token as requester, and answers 202 {command_id}', async () => {
      const r = await h.call(
        '/api/v1/cases/c1/erasures',
        jsonBody('POST', { subject: { kind: 'person', id: 'p1' }, reason: 'GDPR art. 17 request #4711' }, bearer(WRITER)),
      );
      expect(r).to.deep.include({ status: 202, body: { command_id: 'cmd-1' } });
      expect(h.commands.published).to.deep.equal([
        {
          command_type: 'EraseSubject',
          command_id: 'cmd-1',
          case_id: 'c1',
          subject: { kind: 'person', id: 'p1' },
          reason: 'GDPR art. 17 request #4711',
          requested_by: 'dpo-alice',
        },
      ]);
    });

    it('answers 422 without a reason, for an unknown kind of subject, or when the body names the requester; 404 for an unknown case', async () => {
      const post = (case_id: string, body: unknown) => h.call(`/api/v1/cases/${case_id}/erasures`, jsonBody('POST', body, bearer(WRITER)));
      expect(await post('c1', { subject: { kind: 'person', id: 'p1' } })).to.deep.include({
        status: 422,
        body: { detail: [{ path: '$.reason', rule: 'is required' }] },
      });
      expect(await post('c1', { subject: { kind: 'company', id: 'co1' }, reason: 'r' })).to.deep.include({
        status: 422,
        body: { detail: [{ path: '$.subject.kind', rule: 'must be one of person, beneficial_owner' }] },
      });
      expect(await post('c1', { subject: { kind: 'person', id: 'p1' }, reason: 'r', requested_by: 'someone-else' })).to.deep.include({
        status: 422,
        body: {
          detail: [{ path: '$.requested_by', rule: 'must not be sent: the actor recorded is the token the request authenticates with' }],
        },
      });
      expect(await post('zz', { subject: { kind: 'person', id: 'p1' }, reason: 'r' })).to.deep.include({
        status: 404,
        body: { detail: 'case not found' },
      });
      expect(h.commands.published).to.deep.equal([]);
    });

    it('is refused to a read-only token and to a write token: erasing needs the admin scope', async () => {
      for (const token of [READER, CLERK]) {
        const r = await h.call(
          '/api/v1/cases/c1/erasures',
          jsonBody('POST', { subject: { kind: 'person', id: 'p1' }, reason: 'r' }, bearer(token)),
        );
        expect(r).to.deep.include({ status: 403, body: { detail: 'this route needs a token with the admin scope' } });
      }
      expect(h.commands.published).to.deep.equal([]);
    });
  });

  describe('/api/v1/cases/{case_id}/legal-hold', () => {
    it('POST places a hold and DELETE lifts it, each with the reason and the token as who did it', async () => {
      const placed = await h.call('/api/v1/cases/c1/legal-hold', jsonBody('POST', { reason: 'AML investigation 2024-17' }, bearer(WRITER)));
      const lifted = await h.call('/api/v1/cases/c1/legal-hold', jsonBody('DELETE', { reason: 'investigation closed' }, bearer(WRITER)));
      expect([placed.status, lifted.status]).to.deep.equal([202, 202]);
      expect(h.commands.published).to.deep.equal([
        { command_type: 'PlaceLegalHold', command_id: 'cmd-1', case_id: 'c1', reason: 'AML investigation 2024-17', placed_by: 'dpo-alice' },
        { command_type: 'LiftLegalHold', command_id: 'cmd-2', case_id: 'c1', reason: 'investigation closed', lifted_by: 'dpo-alice' },
      ]);
    });

    it('answers 422 without a reason or when the body names who did it, 404 for an unknown case, 403 to a read-only or write token', async () => {
      expect(await h.call('/api/v1/cases/c1/legal-hold', jsonBody('DELETE', {}, bearer(WRITER)))).to.deep.include({
        status: 422,
        body: { detail: [{ path: '$.reason', rule: 'is required' }] },
      });
      const named = await h.call('/api/v1/cases/c1/legal-hold', jsonBody('POST', { reason: 'r', placed_by: 'x' }, bearer(WRITER)));
      expect(named.status).to.equal(422);
      expect((await h.call('/api/v1/cases/zz/legal-hold', jsonBody('POST', { reason: 'r' }, bearer(WRITER)))).status).to.equal(404);
      expect((await h.call('/api/v1/cases/c1/legal-hold', jsonBody('POST', { reason: 'r' }, bearer(READER)))).status).to.equal(403);
      expect((await h.call('/api/v1/cases/c1/legal-hold', jsonBody('DELETE', { reason: 'r' }, bearer(CLERK)))).status).to.equal(403);
      expect(h.commands.published).to.deep.equal([]);
    });
  });
});
