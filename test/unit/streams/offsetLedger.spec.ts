import { expect } from 'chai';
import { latestPositions, OffsetLedger } from '../../../src/streams/offsetLedger.js';
import type { RecordPosition } from '../../../src/streams/records.js';

const at = (offset: number | string, partition = 0, topic = 'kyc_events'): RecordPosition => ({ topic, partition, offset: String(offset) });

/** A ledger that has received `offsets` of one partition, in order. */
const tracking = (offsets: number[], partition = 0, topic = 'kyc_events'): OffsetLedger => {
  const ledger = new OffsetLedger();
  for (const o of offsets) ledger.track(at(o, partition, topic));
  return ledger;
};

describe('OffsetLedger', () => {
  it('has nothing to commit before anything is complete', () => {
    const ledger = tracking([0, 1, 2]);
    expect(ledger.takeCommittable()).to.deep.equal([]);
  });

  it('commits the offset after the highest contiguous completed one, as Kafka expects', () => {
    const ledger = tracking([10, 11, 12]);
    ledger.complete(at(10));
    ledger.complete(at(11));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '12' }]);
  });

  it('holds the commit back while an early offset is still running, however many later ones finish', () => {
    const ledger = tracking([0, 1, 2, 3]);
    ledger.complete(at(1));
    ledger.complete(at(2));
    ledger.complete(at(3));
    expect(ledger.takeCommittable()).to.deep.equal([]);
    ledger.complete(at(0));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '4' }]);
  });

  it('moves the commit only as far as the first gap when offsets complete out of order', () => {
    const ledger = tracking([0, 1, 2, 3, 4]);
    ledger.complete(at(3));
    ledger.complete(at(0));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '1' }]);
    ledger.complete(at(2));
    expect(ledger.takeCommittable()).to.deep.equal([]);
    ledger.complete(at(1));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '4' }]);
    ledger.complete(at(4));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '5' }]);
  });

  it('follows the offsets it received, not consecutive numbers: gaps left by compaction do not block it', () => {
    const ledger = tracking([5, 9, 20]);
    ledger.complete(at(5));
    ledger.complete(at(9));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '10' }]);
  });

  it('keeps each partition and each topic on its own', () => {
    const ledger = new OffsetLedger();
    ledger.track(at(0, 0));
    ledger.track(at(7, 1));
    ledger.track(at(3, 0, 'case_commands'));
    ledger.track(at(4, 0, 'case_commands'));
    ledger.complete(at(7, 1));
    ledger.complete(at(4, 0, 'case_commands'));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 1, offset: '8' }]);
    ledger.complete(at(3, 0, 'case_commands'));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'case_commands', partition: 0, offset: '5' }]);
    ledger.complete(at(0, 0));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '1' }]);
  });

  it('returns only the positions that moved since they were last taken', () => {
    const ledger = new OffsetLedger();
    for (const p of [0, 1]) ledger.track(at(0, p));
    for (const p of [0, 1]) ledger.track(at(1, p));
    ledger.complete(at(0, 0));
    ledger.complete(at(0, 1));
    expect(ledger.takeCommittable()).to.have.deep.members([
      { topic: 'kyc_events', partition: 0, offset: '1' },
      { topic: 'kyc_events', partition: 1, offset: '1' },
    ]);
    expect(ledger.takeCommittable(), 'taking marks them committed').to.deep.equal([]);
    ledger.complete(at(1, 1));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 1, offset: '2' }]);
  });

  it('counts the messages received and not yet complete, over all partitions', () => {
    const ledger = new OffsetLedger();
    expect(ledger.inFlight).to.equal(0);
    ledger.track(at(0, 0));
    ledger.track(at(1, 0));
    ledger.track(at(0, 1));
    expect(ledger.inFlight).to.equal(3);
    ledger.complete(at(1, 0));
    expect(ledger.inFlight, 'a later offset done before an earlier one still counts as done').to.equal(2);
    ledger.complete(at(0, 1));
    ledger.complete(at(0, 0));
    expect(ledger.inFlight).to.equal(0);
  });

  it('drops a forgotten partition: its open messages no longer count and it has nothing to commit', () => {
    const ledger = new OffsetLedger();
    ledger.track(at(0, 0));
    ledger.track(at(1, 0));
    ledger.track(at(0, 1));
    ledger.complete(at(0, 0));
    ledger.forget('kyc_events', 0);
    expect(ledger.inFlight).to.equal(1);
    expect(ledger.takeCommittable()).to.deep.equal([]);
    ledger.complete(at(0, 1));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 1, offset: '1' }]);
  });

  it('starts a forgotten partition afresh when it is assigned again', () => {
    const ledger = tracking([0, 1]);
    ledger.complete(at(0));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '1' }]);
    ledger.forget('kyc_events', 0);
    ledger.track(at(1));
    ledger.complete(at(1));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '2' }]);
  });

  it('ignores a completion that arrives after its partition was forgotten, so the in-flight count never goes negative', () => {
    // A rebalance revokes a partition while one of its messages is still in the pipeline; the message finishes later.
    const ledger = tracking([5]);
    ledger.forget('kyc_events', 0);
    ledger.complete(at(5));
    expect(ledger.inFlight).to.equal(0);
    expect(ledger.takeCommittable()).to.deep.equal([]);
  });

  it('handles offsets beyond 2^31 exactly', () => {
    const base = 2 ** 31 + 5;
    const ledger = tracking([base, base + 1]);
    ledger.complete(at(base));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '2147483654' }]);
    ledger.complete(at(base + 1));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '2147483655' }]);
  });

  it('handles offsets far beyond 2^32 exactly', () => {
    const ledger = tracking([1_099_511_627_776]); // 2^40
    ledger.complete(at('1099511627776'));
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '1099511627777' }]);
  });
});

describe('OffsetLedger for one partition', () => {
  it('takes only the named partition and leaves the others to be taken later', () => {
    const ledger = new OffsetLedger();
    ledger.track({ topic: 't', partition: 0, offset: '0' });
    ledger.track({ topic: 't', partition: 1, offset: '0' });
    ledger.complete({ topic: 't', partition: 0, offset: '0' });
    ledger.complete({ topic: 't', partition: 1, offset: '0' });
    expect(ledger.takeCommittable({ topic: 't', partition: 1 })).to.deep.equal([{ topic: 't', partition: 1, offset: '1' }]);
    expect(ledger.takeCommittable()).to.deep.equal([{ topic: 't', partition: 0, offset: '1' }]);
  });

  it('knows when a partition is complete through an offset, and counts a forgotten partition as complete', () => {
    const ledger = new OffsetLedger();
    ledger.track({ topic: 't', partition: 0, offset: '5' });
    ledger.track({ topic: 't', partition: 0, offset: '6' });
    ledger.complete({ topic: 't', partition: 0, offset: '6' });
    expect(ledger.isCompleteThrough('t', 0, '6')).to.equal(false);
    ledger.complete({ topic: 't', partition: 0, offset: '5' });
    expect(ledger.isCompleteThrough('t', 0, '6')).to.equal(true);
    ledger.track({ topic: 't', partition: 2, offset: '1' });
    ledger.forget('t', 2);
    expect(ledger.isCompleteThrough('t', 2, '1')).to.equal(true);
  });

  it('merges positions taken at different times into one commit per partition, the furthest winning', () => {
    const merged = latestPositions([
      { topic: 't', partition: 0, offset: '9' },
      { topic: 't', partition: 1, offset: '3' },
      { topic: 't', partition: 0, offset: '12' },
      { topic: 'u', partition: 0, offset: '2' },
      { topic: 't', partition: 0, offset: '10' },
    ]);
    expect(merged).to.have.deep.members([
      { topic: 't', partition: 0, offset: '12' },
      { topic: 't', partition: 1, offset: '3' },
      { topic: 'u', partition: 0, offset: '2' },
    ]);
    expect(merged).to.have.length(3);
  });

  it('lets a waiter go at the completion that makes its partition complete through the offset, not before', async () => {
    const ledger = tracking([5, 6, 7]);
    let settled = false;
    const waiting = ledger.completeThrough('kyc_events', 0, '6').then(() => (settled = true));
    ledger.complete(at(6));
    await Promise.resolve();
    expect(settled, 'offset 5 is still open').to.equal(false);
    ledger.complete(at(5));
    await waiting;
    expect(settled).to.equal(true);
  });

  it('lets a waiter go at once when the offset is already complete, and when its partition is forgotten', async () => {
    const ledger = tracking([1, 2]);
    ledger.complete(at(1));
    await ledger.completeThrough('kyc_events', 0, '1');
    const revoked = ledger.completeThrough('kyc_events', 0, '2');
    ledger.forget('kyc_events', 0);
    await revoked;
  });
});

describe('OffsetLedger.stalled', () => {
  /** A ledger on a clock the test moves. */
  const onClock = () => {
    const clock = { now: 1_000 };
    return { clock, ledger: new OffsetLedger(() => clock.now) };
  };

  it('names a partition whose oldest message has been incomplete for the stall time, with that offset', () => {
    const { clock, ledger } = onClock();
    ledger.track(at(7, 2));
    ledger.track(at(8, 2));
    ledger.complete(at(8, 2));
    clock.now += 59_999;
    expect(ledger.stalled(60_000), 'not yet').to.deep.equal([]);
    clock.now += 1;
    expect(ledger.stalled(60_000)).to.deep.equal([{ topic: 'kyc_events', partition: 2, offset: '7', since_ms: 60_000 }]);
  });

  it('counts from the last progress: a partition that keeps completing its oldest messages is not stalled', () => {
    const { clock, ledger } = onClock();
    for (const o of [0, 1, 2]) ledger.track(at(o));
    clock.now += 50_000;
    ledger.complete(at(0));
    clock.now += 50_000;
    expect(ledger.stalled(60_000)).to.deep.equal([]);
    clock.now += 10_000;
    expect(ledger.stalled(60_000)).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '1', since_ms: 60_000 }]);
  });

  it('is not stalled when nothing is in flight, however long it stays idle', () => {
    const { clock, ledger } = onClock();
    ledger.track(at(0));
    ledger.complete(at(0));
    clock.now += 3_600_000;
    expect(ledger.stalled(60_000)).to.deep.equal([]);
    ledger.track(at(1));
    expect(ledger.stalled(60_000), 'a message arriving after a long idle time starts a fresh clock').to.deep.equal([]);
  });
});
