import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  decode,
  determineRequirementsBody,
  documentFilterQuery,
  idempotencyKeyHeader,
  pageQuery as pageQueryOf,
  pathId,
  updateDocumentStatusBody,
} from '../../../src/infra/http/apiCodecs.js';

const right = <A>(r: E.Either<unknown, A>): A => {
  if (E.isLeft(r)) throw new Error(`expected Right, got ${JSON.stringify(r.left)}`);
  return r.right;
};
const left = (r: E.Either<unknown, unknown>): unknown => {
  if (E.isRight(r)) throw new Error(`expected Left, got ${JSON.stringify(r.right)}`);
  return r.left;
};

describe('HTTP API codecs', () => {
  it('page query: defaults, bounds, integers only, one value per name', () => {
    const pageQuery = pageQueryOf(500, 100_000);
    expect(right(decode(pageQuery, { query: {} }))).to.deep.equal({ query: { limit: 50, skip: 0 } });
    expect(right(decode(pageQuery, { query: { limit: '500', skip: '20', other: 'x' } }))).to.deep.equal({
      query: { limit: 500, skip: 20 },
    });
    expect(left(decode(pageQuery, { query: { limit: '0', skip: '-1' } }))).to.deep.equal([
      { path: '$.query.limit', rule: 'must be an integer from 1 to 500' },
      { path: '$.query.skip', rule: 'must be an integer from 0 to 100000' },
    ]);
    expect(left(decode(pageQuery, { query: { limit: '501' } }))).to.deep.equal([
      { path: '$.query.limit', rule: 'must be an integer from 1 to 500' },
    ]);
    expect(left(decode(pageQuery, { query: { limit: '1.5' } }))).to.have.length(1);
    expect(left(decode(pageQuery, { query: { limit: '' } }))).to.have.length(1);
    expect(left(decode(pageQuery, { query: { limit: ['1', '2'] } }))).to.have.length(1);
  });

  it('page query: the page size and skip are capped by the configured limits, and the default never exceeds the cap', () => {
    expect(left(decode(pageQueryOf(20, 1000), { query: { limit: '21', skip: '1001' } }))).to.deep.equal([
      { path: '$.query.limit', rule: 'must be an integer from 1 to 20' },
      { path: '$.query.skip', rule: 'must be an integer from 0 to 1000' },
    ]);
    expect(right(decode(pageQueryOf(20, 1000), { query: {} }))).to.deep.equal({ query: { limit: 20, skip: 0 } });
  });

  it('Idempotency-Key header: optional; 1 to the configured length of printable ASCII without spaces', () => {
    const header = idempotencyKeyHeader(10);
    const of = (key: unknown) => decode(header, { headers: { 'idempotency-key': key } });
    expect(right(of(undefined))).to.deep.equal({ headers: { 'idempotency-key': undefined } });
    expect(right(of('abc-123_~!'))).to.deep.equal({ headers: { 'idempotency-key': 'abc-123_~!' } });
    for (const bad of ['', 'x'.repeat(11), 'a b', 'caf\u00e9', 'a\tb']) {
      expect(left(of(bad)), JSON.stringify(bad)).to.deep.equal([
        { path: '$.headers.idempotency-key', rule: 'must be 1 to 10 printable ASCII characters without spaces' },
      ]);
    }
  });

  it('document filter: optional id, enums and a true/false boolean', () => {
    expect(right(decode(documentFilterQuery, { query: {} }))).to.deep.equal({
      query: { entity_id: undefined, entity_type: undefined, status: undefined, is_required: undefined },
    });
    expect(
      right(decode(documentFilterQuery, { query: { entity_id: 'p1', entity_type: 'PERSON', status: 'UPLOADED', is_required: 'false' } })),
    ).to.deep.equal({
      query: { entity_id: 'p1', entity_type: 'PERSON', status: 'UPLOADED', is_required: false },
    });
    expect(
      left(decode(documentFilterQuery, { query: { entity_type: 'ROBOT', status: 'LOST', is_required: 'yes', entity_id: '' } })),
    ).to.deep.equal([
      { path: '$.query.entity_id', rule: 'must be a non-empty string' },
      { path: '$.query.entity_type', rule: 'must be one of PERSON, COMPANY' },
      {
        path: '$.query.status',
        rule: 'must be one of AWAITING_UPLOAD, UPLOADED, VERIFIED_SYSTEM, VERIFIED_MANUAL, REJECTED, NOT_APPLICABLE',
      },
      { path: '$.query.is_required', rule: 'must be true or false' },
    ]);
  });

  it('path ids: non-empty, at most 200 characters, no control characters', () => {
    expect(right(decode(pathId('case_id'), { path: { case_id: 'c-1' } }))).to.deep.equal({ path: { case_id: 'c-1' } });
    expect(left(decode(pathId('case_id'), { path: { case_id: 'x'.repeat(201) } }))).to.deep.equal([
      { path: '$.path.case_id', rule: 'must be at most 200 characters' },
    ]);
    expect(left(decode(pathId('case_id'), { path: { case_id: 'a\nb' } }))).to.deep.equal([
      { path: '$.path.case_id', rule: 'must not contain control characters' },
    ]);
  });

  it('determine-requirements body: every missing or bad field at once', () => {
    expect(right(decode(determineRequirementsBody, { case_id: 'c', entity_id: 'e', entity_type: 'COMPANY', extra: 1 }))).to.deep.equal({
      case_id: 'c',
      entity_id: 'e',
      entity_type: 'COMPANY',
    });
    expect(left(decode(determineRequirementsBody, { entity_id: 3, entity_type: 'person' }))).to.deep.equal([
      { path: '$.case_id', rule: 'is required' },
      { path: '$.entity_id', rule: 'must be a non-empty string' },
      { path: '$.entity_type', rule: 'must be one of PERSON, COMPANY' },
    ]);
    expect(left(decode(determineRequirementsBody, []))).to.deep.equal([{ path: '$', rule: 'must be an object' }]);
  });

  it('update-status body: defaults, and metadata keys that are plain field names with storable values', () => {
    expect(right(decode(updateDocumentStatusBody, { new_status: 'UPLOADED' }))).to.deep.equal({
      new_status: 'UPLOADED',
      metadata_changes: {},
      notes_to_add: [],
    });
    expect(
      right(
        decode(updateDocumentStatusBody, {
          new_status: 'REJECTED',
          metadata_changes: { checked: true, pages: [1, 2] },
          notes_to_add: ['n'],
        }),
      ),
    ).to.deep.include({ metadata_changes: { checked: true, pages: [1, 2] }, notes_to_add: ['n'] });
    expect(
      left(
        decode(updateDocumentStatusBody, {
          new_status: 'DONE',
          updated_by_actor_type: 7,
          metadata_changes: { 'a.b': 1, $set: 2, ok: 3, grid: [[1]], nested: { deeper: { $where: 'x' } }, 'nul\u0000': 1 },
          notes_to_add: ['x', 2],
        }),
      ),
    ).to.deep.equal([
      {
        path: '$.new_status',
        rule: 'must be one of AWAITING_UPLOAD, UPLOADED, VERIFIED_SYSTEM, VERIFIED_MANUAL, REJECTED, NOT_APPLICABLE',
      },
      { path: '$.metadata_changes.a.b', rule: 'must be a field name: non-empty, without "." or NUL, not starting with "$"' },
      { path: '$.metadata_changes.$set', rule: 'must be a field name: non-empty, without "." or NUL, not starting with "$"' },
      { path: '$.metadata_changes.grid', rule: 'must be storable: it has an array directly inside an array' },
      { path: '$.metadata_changes.nested', rule: 'must be storable: it has a key that starts with $ or contains a dot' },
      { path: '$.metadata_changes.nul\u0000', rule: 'must be a field name: non-empty, without "." or NUL, not starting with "$"' },
      { path: '$.notes_to_add[1]', rule: 'must be a string' },
      { path: '$.updated_by_actor_type', rule: 'must not be sent: the actor recorded is the token the request authenticates with' },
    ]);
    expect(left(decode(updateDocumentStatusBody, { new_status: 'UPLOADED', metadata_changes: [1] }))).to.deep.equal([
      { path: '$.metadata_changes', rule: 'must be an object' },
    ]);
  });

  it('update-status body: refuses the actor fields whatever their value, null included, since the actor is the token', () => {
    const rule = 'must not be sent: the actor recorded is the token the request authenticates with';
    expect(left(decode(updateDocumentStatusBody, { new_status: 'UPLOADED', updated_by_actor_id: null }))).to.deep.equal([
      { path: '$.updated_by_actor_id', rule },
    ]);
    expect(
      left(decode(updateDocumentStatusBody, { new_status: 'UPLOADED', updated_by_actor_type: 'USER', updated_by_actor_id: 'agent-7' })),
    ).to.deep.equal([
      { path: '$.updated_by_actor_type', rule },
      { path: '$.updated_by_actor_id', rule },
    ]);
  });
});
