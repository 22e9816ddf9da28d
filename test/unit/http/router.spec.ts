import { expect } from 'chai';
import { pathSegments, Router } from '../../../src/infra/http/router.js';

describe('http router', () => {
  const router = new Router<string>()
    .add('GET', '/api/v1/documents/{document_requirement_id}', 'get-doc')
    .add('POST', '/api/v1/documents/determine-requirements', 'determine')
    .add('PUT', '/api/v1/documents/{document_requirement_id}/status', 'status')
    .add('GET', '/api/v1/documents/case/{case_id}', 'docs-of-case')
    .add('GET', '/api/v1/cases', 'cases');

  it('matches templates segment by segment and decodes parameters', () => {
    expect(router.match('GET', '/api/v1/documents/abc')).to.deep.include({ kind: 'found', params: { document_requirement_id: 'abc' } });
    expect(router.match('GET', '/api/v1/documents/a%20b%2Fc')).to.deep.include({ params: { document_requirement_id: 'a b/c' } });
    expect(router.match('PUT', '/api/v1/documents/x/status')).to.deep.include({ kind: 'found', params: { document_requirement_id: 'x' } });
    expect(router.match('GET', '/api/v1/documents/case/c1')).to.deep.include({ kind: 'found', params: { case_id: 'c1' } });
  });

  it('prefers literal segments over parameters', () => {
    const m = router.match('POST', '/api/v1/documents/determine-requirements');
    expect(m.kind === 'found' && m.route.handler).to.equal('determine');
    // the same path with GET is the document lookup (an unknown id there)
    const g = router.match('GET', '/api/v1/documents/determine-requirements');
    expect(g.kind === 'found' && g.route.handler).to.equal('get-doc');
  });

  it('tells an unknown path from a known path with another method', () => {
    expect(router.match('GET', '/api/v1/nothing')).to.deep.equal({ kind: 'not-found' });
    expect(router.match('GET', '/api/v1/documents/x/status')).to.deep.equal({ kind: 'method-not-allowed', allow: ['PUT'] });
    expect(router.match('DELETE', '/api/v1/cases')).to.deep.equal({ kind: 'method-not-allowed', allow: ['GET'] });
    expect(router.match('PUT', '/api/v1/documents/determine-requirements')).to.deep.equal({ kind: 'method-not-allowed', allow: ['POST', 'GET'] });
  });

  it('ignores one trailing slash, refuses empty parameter segments and bad percent-encoding', () => {
    expect(router.match('GET', '/api/v1/cases/').kind).to.equal('found');
    expect(router.match('GET', '/api/v1/documents//status').kind).to.equal('not-found');
    expect(router.match('GET', '/api/v1/documents/%E0%A4%A')).to.deep.equal({ kind: 'malformed' });
    expect(pathSegments('/')).to.deep.equal(['']);
  });

  it('refuses a route defined twice', () => {
    expect(() => new Router<string>().add('GET', '/a', 'x').add('GET', '/a', 'y')).to.throw(/twice/);
  });
});
