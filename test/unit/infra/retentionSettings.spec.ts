import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { formatDuration, parseDurationMs } from '../../../src/infra/envCodecs.js';
import { decodeEnvSettings, decodeSettings, type RetentionSettings } from '../../../src/infra/settings.js';

const DAY = 86_400_000;

const retentionOf = (env: Record<string, string>): RetentionSettings => {
  const decoded = decodeSettings(env);
  if (E.isLeft(decoded)) throw new Error(`expected settings, got: ${decoded.left}`);
  return decoded.right.retention;
};

const problemsOf = (env: Record<string, string>): string => {
  const decoded = decodeEnvSettings(env);
  if (E.isRight(decoded)) throw new Error('expected invalid settings');
  return decoded.left;
};

describe('retention settings', () => {
  it('keeps raw copies and idempotency keys 30 days, command results and resolved lookup failures 90, closed cases five years', () => {
    expect(retentionOf({})).to.deep.equal({
      rawEventsMs: 30 * DAY,
      commandResultsMs: 90 * DAY,
      lookupFailuresMs: 90 * DAY,
      apiIdempotencyMs: 30 * DAY,
      deadLetterTopicMs: 30 * DAY,
      caseClosedMs: 1_827 * DAY,
      sweepIntervalMs: 3_600_000,
      sweepBatch: 1_000,
    });
  });

  it('reads every period as a whole number with its unit, down to milliseconds for the sweep interval', () => {
    expect(
      retentionOf({
        RETENTION_RAW_EVENTS: '3s',
        RETENTION_COMMAND_RESULTS: '15m',
        RETENTION_LOOKUP_FAILURES: '12h',
        RETENTION_API_IDEMPOTENCY: ' 7d ',
        RETENTION_DLQ_TOPIC: '1500ms',
        RETENTION_CASE_CLOSED: '2s',
        RETENTION_SWEEP_INTERVAL: '250ms',
        RETENTION_SWEEP_BATCH: '50',
      }),
    ).to.deep.equal({
      rawEventsMs: 3_000,
      commandResultsMs: 900_000,
      lookupFailuresMs: 43_200_000,
      apiIdempotencyMs: 7 * DAY,
      deadLetterTopicMs: 1_500,
      caseClosedMs: 2_000,
      sweepIntervalMs: 250,
      sweepBatch: 50,
    });
  });

  it('takes forever for a record that is never to expire', () => {
    const r = retentionOf({ RETENTION_RAW_EVENTS: 'forever', RETENTION_DLQ_TOPIC: 'FOREVER', RETENTION_CASE_CLOSED: 'forever' });
    expect([r.rawEventsMs, r.deadLetterTopicMs, r.caseClosedMs]).to.deep.equal([null, null, null]);
  });

  it('refuses a period without its unit, with an unknown or upper-case unit, shorter than a second or longer than a hundred years', () => {
    const problems = problemsOf({
      RETENTION_RAW_EVENTS: '30',
      RETENTION_COMMAND_RESULTS: '6M',
      RETENTION_LOOKUP_FAILURES: '2w',
      RETENTION_API_IDEMPOTENCY: '999ms',
      RETENTION_CASE_CLOSED: '36526d',
      RETENTION_DLQ_TOPIC: '-1d',
    });
    for (const name of [
      'RETENTION_RAW_EVENTS',
      'RETENTION_COMMAND_RESULTS',
      'RETENTION_LOOKUP_FAILURES',
      'RETENTION_API_IDEMPOTENCY',
      'RETENTION_CASE_CLOSED',
      'RETENTION_DLQ_TOPIC',
    ]) {
      expect(problems).to.contain(`${name} must be forever or a duration with its unit (ms, s, m, h or d) from 1s to 36525d`);
    }
    expect(problems).to.contain(
      'RETENTION_RAW_EVENTS must be forever or a duration with its unit (ms, s, m, h or d) from 1s to 36525d, got "30"',
    );
  });

  it('bounds the sweep: an interval from 100 ms to a day, never forever, and a batch from 1 to 100,000', () => {
    const problems = problemsOf({ RETENTION_SWEEP_INTERVAL: 'forever', RETENTION_SWEEP_BATCH: '0' });
    expect(problems).to.contain(
      'RETENTION_SWEEP_INTERVAL must be a duration with its unit (ms, s, m, h or d) from 100ms to 1d, got "forever"',
    );
    expect(problems).to.contain('RETENTION_SWEEP_BATCH must be an integer from 1 to 100000');
    expect(problemsOf({ RETENTION_SWEEP_INTERVAL: '99ms' })).to.contain('RETENTION_SWEEP_INTERVAL');
    expect(problemsOf({ RETENTION_SWEEP_INTERVAL: '25h' })).to.contain('RETENTION_SWEEP_INTERVAL');
  });

  it('shows a duration in its largest exact unit, and reads back what it shows', () => {
    expect([30 * DAY, 36 * 3_600_000, 90_000, 1_500].map(formatDuration)).to.deep.equal(['30d', '36h', '90s', '1500ms']);
    for (const ms of [30 * DAY, 36 * 3_600_000, 90_000, 1_500]) expect(parseDurationMs(formatDuration(ms))).to.equal(ms);
    expect(parseDurationMs('1 h')).to.equal(3_600_000);
    expect(parseDurationMs('1.5h')).to.be.NaN;
  });
});
