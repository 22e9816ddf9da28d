import { expect } from 'chai';
import sinon from 'sinon';
import { shutDown, type ShutdownSteps } from '../../../src/streams/shutdown.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('shutDown', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers()));
  afterEach(() => clock.restore());

  const stepsWith = (
    drained: Promise<void>,
    log: string[],
    commit: () => Promise<void> = async () => void log.push('commit'),
  ): ShutdownSteps => ({
    stopIntake: () => void log.push('stop intake'),
    drained: drained.then(() => void log.push('drained')),
    commit,
    close: async () => void log.push('close'),
  });

  it('stops taking messages, waits for in-flight ones, then commits and closes, in that order', async () => {
    const log: string[] = [];
    const work = deferred();
    const done = shutDown(stepsWith(work.promise, log), {
      timeoutMs: 15_000,
      onTimeout: () => log.push('timeout'),
      onCommitFailed: () => undefined,
    });
    await clock.tickAsync(1000);
    expect(log).to.deep.equal(['stop intake']);
    work.resolve();
    expect(await done).to.equal('drained');
    expect(log).to.deep.equal(['stop intake', 'drained', 'commit', 'close']);
  });

  it('abandons in-flight messages after the timeout, and still commits what is complete and closes', async () => {
    const log: string[] = [];
    const done = shutDown(stepsWith(new Promise(() => undefined), log), {
      timeoutMs: 5000,
      onTimeout: () => log.push('timeout'),
      onCommitFailed: () => undefined,
    });
    await clock.tickAsync(4999);
    expect(log).to.deep.equal(['stop intake']);
    await clock.tickAsync(1);
    expect(await done).to.equal('timed-out');
    expect(log).to.deep.equal(['stop intake', 'timeout', 'commit', 'close']);
  });

  it('closes the clients even when the final commit fails', async () => {
    const log: string[] = [];
    const failures: unknown[] = [];
    const steps = stepsWith(Promise.resolve(), log, async () => {
      throw new Error('coordinator unavailable');
    });
    await shutDown(steps, { timeoutMs: 1000, onTimeout: () => undefined, onCommitFailed: (e) => failures.push(e) });
    expect(log).to.deep.equal(['stop intake', 'drained', 'close']);
    expect(String(failures[0])).to.contain('coordinator unavailable');
  });

  it('treats a pipeline that ended with an error as drained: nothing is left to wait for', async () => {
    const log: string[] = [];
    const steps = { ...stepsWith(new Promise<void>(() => undefined), log), drained: Promise.reject(new Error('boom')) };
    expect(await shutDown(steps, { timeoutMs: 1000, onTimeout: () => undefined, onCommitFailed: () => undefined })).to.equal('drained');
    expect(log).to.deep.equal(['stop intake', 'commit', 'close']);
  });
});
