import { expect } from 'chai';
import { jsonBody, startHarness, type Harness } from './harness.js';

describe('POST /api/v1/cases/{case_id}/close (fake database)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.queries.cases = [{ id: 'c1' }];
  });
  afterEach(async () => {
    await h.server.close();
  });

  it('publishes CloseCase with the reason and the calling actor, and answers 202 {command_id}', async () => {
    const r = await h.call('/api/v1/cases/c1/close', jsonBody('POST', { reason: 'business relationship ended' }));
    expect(r).to.deep.include({ status: 202, body: { command_id: 'cmd-1' } });
    expect(h.commands.published).to.deep.equal([
      { command_type: 'CloseCase', command_id: 'cmd-1', case_id: 'c1', reason: 'business relationship ended', closed_by: 'anonymous' },
    ]);
  });

  it('answers 404 for an unknown case and 422 without a reason, publishing nothing', async () => {
    expect(await h.call('/api/v1/cases/zz/close', jsonBody('POST', { reason: 'ended' }))).to.deep.include({
      status: 404,
      body: { detail: 'case not found' },
    });
    expect(await h.call('/api/v1/cases/c1/close', jsonBody('POST', {}))).to.deep.include({
      status: 422,
      body: { detail: [{ path: '$.reason', rule: 'is required' }] },
    });
    expect(h.commands.published).to.deep.equal([]);
  });
});
