import { expect } from 'chai';
import { invalidInput, rejection } from '../../../src/domain/rejection.js';
import { deadLetterHeaders, headerSetBytes } from '../../../src/infra/kafka/deadLetterHeaders.js';
import { recordOf } from '../../support/records.js';

const text = (v: unknown): string => String(v);
const manyErrors = (n: number) =>
  invalidInput(
    'invalid client data message',
    Array.from({ length: n }, (_, i) => ({ path: `$.persons[${i}].firstname`, rule: 'is required' })),
    n,
  );

describe('deadLetterHeaders', () => {
  it('carries the reason, the failing fields as JSON, the source position and the original headers', () => {
    const record = recordOf({}, { partition: 3, offset: 17, headers: { 'message-id': 'm-1' } });
    const why = rejection('invalid case command: $.case_id is required', [{ path: '$.case_id', rule: 'is required' }]);
    expect(deadLetterHeaders(record, why)).to.deep.equal({
      'message-id': 'm-1',
      'x-error-reason': 'invalid case command: $.case_id is required',
      'x-error-details': '[{"path":"$.case_id","rule":"is required"}]',
      'x-source-topic': 'kyc_events',
      'x-source-partition': '3',
      'x-source-offset': '17',
    });
  });

  it('keeps a ~60 KB message with thousands of failing fields within the header budget, with valid JSON details and a count of the rest', () => {
    const headers = deadLetterHeaders(recordOf({}, { offset: 1 }), manyErrors(3_000), 4_096);
    expect(headerSetBytes(headers)).to.be.at.most(4_096);
    const details = JSON.parse(text(headers['x-error-details'])) as unknown[];
    expect(details.length).to.be.greaterThan(0);
    expect(Number(headers['x-error-details-omitted'])).to.equal(3_000 - details.length);
    expect(text(headers['x-error-reason'])).to.match(/^invalid client data message: .*…$/);
    expect(headers['x-source-offset']).to.equal('1');
  });

  it('counts the failing fields the rejection had already left out', () => {
    const why = invalidInput(
      'bad',
      [1, 2, 3].map((i) => ({ path: `$[${i}]`, rule: 'is required' })),
      1,
    );
    expect(deadLetterHeaders(recordOf({}, { offset: 1 }), why)['x-error-details-omitted']).to.equal('2');
  });

  it('drops original headers beyond the budget, keeping those that fit, and says how many it dropped', () => {
    const record = recordOf({}, { offset: 1, headers: { big: 'x'.repeat(5_000), 'message-id': 'm-1', huge: 'y'.repeat(9_000) } });
    const headers = deadLetterHeaders(record, manyErrors(500), 4_096);
    expect(headerSetBytes(headers)).to.be.at.most(4_096);
    expect(headers['message-id']).to.equal('m-1');
    expect(headers).not.to.have.property('huge');
    expect(headers['x-original-headers-dropped']).to.equal('2');
  });

  it('gives the original headers all they need when the errors leave room', () => {
    const record = recordOf({}, { offset: 1, headers: { big: 'x'.repeat(3_000) } });
    const headers = deadLetterHeaders(record, rejection('the message has no value'), 4_096);
    expect(headers['big']).to.equal('x'.repeat(3_000));
    expect(headers).not.to.have.property('x-original-headers-dropped');
  });

  it('does not let an original header pass itself off as one of the error headers', () => {
    const record = recordOf({}, { offset: 1, headers: { 'x-error-reason': 'forged', 'x-source-offset': '999' } });
    const headers = deadLetterHeaders(record, rejection('real reason'));
    expect(headers['x-error-reason']).to.equal('real reason');
    expect(headers['x-source-offset']).to.equal('1');
  });

  it('cuts a long reason at a character, never inside one', () => {
    const headers = deadLetterHeaders(recordOf({}, { offset: 1 }), rejection(`é${'ü'.repeat(5_000)}`), 2_048);
    expect(text(headers['x-error-reason'])).to.match(/^éü+…$/);
    expect(headerSetBytes(headers)).to.be.at.most(2_048);
  });
  it("carries the rejection's trace headers in place of the record's own, within the budget", () => {
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const record = recordOf(
      {},
      { offset: 2, headers: { traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`, tracestate: 'old=1', 'message-id': 'm-2' } },
    );
    const headers = deadLetterHeaders(record, manyErrors(3_000), 2_048, { traceparent, tracestate: 'new=2' });
    expect(headers).to.include({ traceparent, tracestate: 'new=2', 'message-id': 'm-2', 'x-source-offset': '2' });
    expect(headerSetBytes(headers)).to.be.at.most(2_048);
  });

  it('keeps the traceparent alone when the tracestate would take more than a quarter of the budget', () => {
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const headers = deadLetterHeaders(recordOf({}, { offset: 2 }), rejection('why'), 1_024, {
      traceparent,
      tracestate: `v=${'x'.repeat(400)}`,
    });
    expect(headers.traceparent).to.equal(traceparent);
    expect(headers).not.to.have.property('tracestate');
    expect(headerSetBytes(headers)).to.be.at.most(1_024);
  });

  it("keeps the record's own trace headers when it is given none", () => {
    const record = recordOf({}, { offset: 2, headers: { traceparent: 'original' } });
    expect(deadLetterHeaders(record, rejection('why')).traceparent).to.equal('original');
  });
});
