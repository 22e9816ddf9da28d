import { expect } from 'chai';
import { isPublic, pathSegments, Router, splitTarget } from '../../../src/infra/http/router.js';

describe('http router', () => {
  const router = new Router<string>()
    .add('GET', '/api/v1/documents/{document_requirement_id}', 'get-doc')
    .add('POST', '/api/v1/documents/determine-requirements', 'determine')
    .add('PUT', '/api/v1/documents/{document_requirement_id}/status', 'status')
    .add('GET', '/api/v1/documents/case/{case_id}', 'docs-of-case')
    .add('GET', '/api/v1/cases', 'cases', { access: 'read' })
    .add('GET', '/health', 'health', { access: 'public' });

  it('matches templates segment by segment and decodes parameters', () => {
    expect(router.match('GET', '/api/v1/documents/abc')).to.deep.include({ kind: 'found', params: { document_requirement_id: 'abc' } });
    expect(router.match('GET', '/api/v1/documents/a%20b%3Bc')).to.deep.include({ params: { document_requirement_id: 'a b;c' } });
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
    expect(router.match('GET', '/api/v1/documents/x/status')).to.deep.equal({
      kind: 'method-not-allowed',
      allow: ['PUT'],
      access: 'protected',
    });
    expect(router.match('DELETE', '/api/v1/cases')).to.deep.equal({ kind: 'method-not-allowed', allow: ['GET'], access: 'protected' });
    expect(router.match('PUT', '/api/v1/documents/determine-requirements')).to.deep.equal({
      kind: 'method-not-allowed',
      allow: ['POST', 'GET'],
      access: 'protected',
    });
  });

  it('ignores one trailing slash, refuses empty parameter segments and bad percent-encoding', () => {
    expect(router.match('GET', '/api/v1/cases/').kind).to.equal('found');
    expect(router.match('GET', '/api/v1/documents//status').kind).to.equal('not-found');
    expect(router.match('GET', '/api/v1/documents/%E0%A4%A')).to.deep.equal({ kind: 'malformed' });
    expect(pathSegments('/')).to.deep.equal(['']);
  });

  it('splits the path on "/" before decoding, so an encoded separator or dot segment never moves a request to another route', () => {
    expect(pathSegments('/%61pi/%761/cases')).to.deep.equal(['api', 'v1', 'cases']);
    expect(pathSegments('/%2561pi/v1/cases')).to.deep.equal(['%61pi', 'v1', 'cases']);
    for (const path of [
      '/api/v1/documents/a%2Fb',
      '/api/v1/documents/a%5Cb',
      '/api\\v1/cases',
      '/api/v1/documents/a%00b',
      '/api/v1/documents/a%0Ab',
      '/x/../api/v1/cases',
      '/api/./v1/cases',
      '/api/v1/cases/.',
      '/health/%2e%2e/api/v1/cases',
      '/api/%2E/v1/cases',
      '/api/v1/documents/%E0%A4%A',
      'api/v1/cases',
      '*',
      'http://localhost/api/v1/cases',
    ]) {
      expect(pathSegments(path), path).to.equal(undefined);
      expect(router.match('GET', path), path).to.deep.equal({ kind: 'malformed' });
    }
  });

  it('rewrites nothing else: empty segments, ";", case and a second trailing slash match no route', () => {
    for (const path of [
      '//api/v1/cases',
      '/api//v1/cases',
      '/api/v1/cases//',
      '/api;x/v1/cases',
      '/api/v1/cases;x',
      '/API/V1/cases',
      '/Api/v1/cases',
      '/',
    ]) {
      expect(router.match('GET', path), path).to.deep.equal({ kind: 'not-found' });
    }
    expect(router.match('GET', '/api/v1/cases/').kind).to.equal('found');
  });

  it('makes every route protected unless it is declared public, and a path public only when all its routes are', () => {
    expect(
      router
        .list()
        .filter((r) => r.access === 'public')
        .map((r) => r.template),
    ).to.deep.equal(['/health']);
    expect(isPublic(router.match('GET', '/health'))).to.equal(true);
    expect(isPublic(router.match('GET', '/%68ealth/'))).to.equal(true);
    expect(isPublic(router.match('POST', '/health'))).to.equal(true);
    expect(isPublic(router.match('GET', '/api/v1/cases'))).to.equal(false);
    expect(isPublic(router.match('DELETE', '/api/v1/cases'))).to.equal(false);
    expect(isPublic(router.match('GET', '/nothing'))).to.equal(false);
    expect(isPublic(router.match('GET', '/health/../api/v1/cases'))).to.equal(false);
    const mixed = new Router<string>().add('GET', '/x', 'open', { access: 'public' }).add('POST', '/x', 'closed');
    expect(isPublic(mixed.match('PUT', '/x'))).to.equal(false);
    expect(isPublic(mixed.match('GET', '/x'))).to.equal(true);
    expect(isPublic(mixed.match('POST', '/x'))).to.equal(false);
  });

  it('makes a route that declares no access need the write scope, and keeps the scope a route declares', () => {
    const access = Object.fromEntries(router.list().map((r) => [`${r.method} ${r.template}`, r.access]));
    expect(access).to.deep.equal({
      'GET /health': 'public',
      'GET /api/v1/cases': 'read',
      'POST /api/v1/documents/determine-requirements': 'write',
      'GET /api/v1/documents/case/{case_id}': 'write',
      'GET /api/v1/documents/{document_requirement_id}': 'write',
      'PUT /api/v1/documents/{document_requirement_id}/status': 'write',
    });
  });

  it('splits a request target into its raw path and its query at the first "?"', () => {
    const t = splitTarget('/api/v1/cases?limit=5&skip=%31&x=/health');
    expect(t.path).to.equal('/api/v1/cases');
    expect(Object.fromEntries(t.query)).to.deep.equal({ limit: '5', skip: '1', x: '/health' });
    expect(splitTarget('/%61pi').path).to.equal('/%61pi');
  });

  it('refuses a route defined twice', () => {
    expect(() => new Router<string>().add('GET', '/a', 'x').add('GET', '/a', 'y')).to.throw(/twice/);
  });
});
