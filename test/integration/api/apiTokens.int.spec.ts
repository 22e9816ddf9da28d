import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { waitFor } from '../../support/stack.js';

/**
 * Named tokens with scopes on the running service: API_TOKENS_FILE holds only hashes, a read token
 * cannot send a command, and the DocumentStatusUpdated event stored for a command names the token
 * it was sent with.
 */

const run = randomBytes(4).toString('hex');
const READER = randomBytes(32).toString('hex');
const WRITER = randomBytes(32).toString('hex');
const LEGACY = randomBytes(32).toString('hex');
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

type Json = Record<string, unknown>;

describe('API tokens on the running service', function () {
  this.timeout(120_000);
  let dir: string;
  let svc: ServiceHarness;
  let caseId: string;
  let documents: Json[];

  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const response = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  /** The command's outcome, once the pipeline has handled it. */
  const outcomeOf = (commandId: string) =>
    waitFor(
      async () => {
        const r = (await call('GET', `/api/v1/commands/${commandId}`, READER)).body as Json;
        return r.status === 'pending' ? null : r;
      },
      20_000,
      { description: `the outcome of command ${commandId}` },
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'casestream-api-tokens-'));
    const file = join(dir, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'ops-reader', sha256: sha256(READER), scope: 'read' },
        { name: 'ops-writer', sha256: sha256(WRITER), scope: 'write' },
      ]),
    );
    svc = await new ServiceHarness({ API_TOKENS_FILE: file, API_TOKEN: LEGACY }).start();
    await waitFor(async () => (await call('GET', '/health/ready', null)).status === 200, 20_000, { description: 'readiness' });
    const client_id = `tokens-kyc-${run}`;
    await svc.sendClientData({
      value: {
        client_id,
        version: '1.0',
        type: 'INDIVIDUAL_STANDARD',
        traitement_type: 'KYC',
        persons: [{ firstname: 'Tess', lastname: 'Token', birthdate: '1985-03-04' }],
      },
      messageId: `${client_id}-msg`,
    });
    caseId = (await svc.caseOf(client_id)).id as string;
    documents = await waitFor(
      async () => {
        const r = (await call('GET', `/api/v1/documents/case/${caseId}`, READER)).body as Json[];
        return r.length > 0 ? r : null;
      },
      20_000,
      { description: 'the document requirements' },
    );
  });

  after(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs the names and scopes of the tokens it loaded, never a token or a hash', () => {
    const loaded = svc.logLines.find((l) => l.includes('"msg":"API tokens"'));
    expect(loaded).to.contain('"actors":["ops-reader (read)","ops-writer (write)","api-token (admin)"]');
    const all = svc.logLines.join('\n');
    for (const secret of [READER, WRITER, LEGACY, sha256(READER), sha256(WRITER)]) expect(all).not.to.contain(secret);
  });

  it('answers 403 to a read-only token sending a command, and the document stays as it was', async () => {
    const [document] = documents;
    const refused = await call('PUT', `/api/v1/documents/${String(document!.id)}/status`, READER, { new_status: 'UPLOADED' });
    expect(refused).to.deep.include({ status: 403, body: { detail: 'this route needs a token with the write scope' } });
    expect((await call('GET', `/api/v1/documents/${String(document!.id)}`, null)).status, 'no token').to.equal(401);
    expect(((await call('GET', `/api/v1/documents/${String(document!.id)}`, READER)).body as Json).status).to.equal('AWAITING_UPLOAD');
    expect((await svc.events(caseId)).filter((e) => e.event_type === 'DocumentStatusUpdated')).to.deep.equal([]);
  });

  it("stores the write token's name as the actor of the DocumentStatusUpdated event, and API_TOKEN's as api-token", async () => {
    const [first, second] = documents;
    const sent: [Json, string, string][] = [
      [first!, WRITER, 'ops-writer'],
      [second!, LEGACY, 'api-token'],
    ];
    for (const [document, token] of sent) {
      const accepted = await call('PUT', `/api/v1/documents/${String(document.id)}/status`, token, { new_status: 'UPLOADED' });
      expect(accepted.status, accepted.text).to.equal(202);
      const outcome = await outcomeOf((accepted.body as Json).command_id as string);
      expect(outcome.status, JSON.stringify(outcome)).to.equal('processed');
    }
    const updates = (await svc.events(caseId)).filter((e) => e.event_type === 'DocumentStatusUpdated');
    expect(updates.map((e) => [(e.payload as Json).document_requirement_id, (e.payload as Json).updated_by])).to.deep.equal(
      sent.map(([document, , name]) => [document.id, name]),
    );
  });

  it('refuses a body that names an actor, so no caller can record another', async () => {
    const [document] = documents;
    const r = await call('PUT', `/api/v1/documents/${String(document!.id)}/status`, WRITER, {
      new_status: 'UPLOADED',
      updated_by_actor_type: 'USER',
      updated_by_actor_id: 'ops-admin',
    });
    expect(r.status, r.text).to.equal(422);
    expect(((r.body as Json).detail as Json[]).map((d) => d.path)).to.deep.equal(['$.updated_by_actor_type', '$.updated_by_actor_id']);
  });
});
