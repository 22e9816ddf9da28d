import { expect } from 'chai';
import { CircuitBreaker } from '../../../src/infra/rules/circuitBreaker.js';
import { FakeClock } from './fakes.js';

const breaker = (failureThreshold = 3, openSeconds = 10) => {
  const clock = new FakeClock();
  return { clock, cb: new CircuitBreaker({ failureThreshold, openSeconds, now: clock.now }) };
};

describe('CircuitBreaker', () => {
  it('stays closed below the threshold and forgets failures after a success', () => {
    const { cb } = breaker(3);
    cb.failure();
    cb.failure();
    cb.success();
    cb.failure();
    cb.failure();
    expect(cb.current()).to.equal('closed');
    expect(cb.tryAcquire()).to.equal(true);
  });

  it('opens after N consecutive failures and refuses calls while open', () => {
    const { cb, clock } = breaker(3, 10);
    expect(cb.failure()).to.equal(false);
    expect(cb.failure()).to.equal(false);
    expect(cb.failure()).to.equal(true);
    expect(cb.current()).to.equal('open');
    expect(cb.tryAcquire()).to.equal(false);
    clock.advance(9_999);
    expect(cb.tryAcquire()).to.equal(false);
  });

  it('lets exactly one trial through after the open period', () => {
    const { cb, clock } = breaker(1, 10);
    cb.failure();
    clock.advance(10_000);
    expect(cb.current()).to.equal('half-open');
    expect(cb.tryAcquire()).to.equal(true);
    expect(cb.tryAcquire()).to.equal(false);
  });

  it('closes when the trial succeeds', () => {
    const { cb, clock } = breaker(1, 10);
    cb.failure();
    clock.advance(10_000);
    cb.tryAcquire();
    cb.success();
    expect(cb.current()).to.equal('closed');
    expect(cb.tryAcquire()).to.equal(true);
    expect(cb.tryAcquire()).to.equal(true);
  });

  it('opens again for the whole period when the trial fails', () => {
    const { cb, clock } = breaker(3, 10);
    cb.failure();
    cb.failure();
    cb.failure();
    clock.advance(10_000);
    cb.tryAcquire();
    expect(cb.failure()).to.equal(true);
    expect(cb.current()).to.equal('open');
    clock.advance(9_999);
    expect(cb.tryAcquire()).to.equal(false);
    clock.advance(1);
    expect(cb.tryAcquire()).to.equal(true);
  });

  it('refuses a nonsensical threshold', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).to.throw(RangeError);
  });
});
