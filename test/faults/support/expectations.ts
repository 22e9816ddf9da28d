import { expect } from 'chai';
import type { CheckResult } from './invariants.js';
import type { FaultScenario } from './scenario.js';

/** The scenario's invariants hold: the list of violations is empty (each names its count and samples). */
export const expectInvariants = (result: CheckResult): void => {
  expect(result.violations, `invariant violations (counts: ${JSON.stringify(result.counts)})`).to.deep.equal([]);
};

/** Mocha hooks every scenario file uses: remember a failure, always tear down (kill, stack up, record). */
export const scenarioHooks = (get: () => FaultScenario | undefined): void => {
  afterEach(function () {
    const s = get();
    if (s && this.currentTest?.state === 'failed') s.failure = this.currentTest.err?.message?.slice(0, 2000);
  });
  after(async function () {
    this.timeout(300_000);
    const s = get();
    if (s) process.stdout.write(`      result: ${await s.tearDown()}\n`);
  });
};
