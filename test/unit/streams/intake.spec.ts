import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { admitted, Intake, recordBytes } from '../../../src/streams/intake.js';
import { recordOf } from '../../support/records.js';

/** A record of `bytes` value bytes at an offset of partition 0. */
const sized = (offset: number, bytes = 10) => ({ ...recordOf('', { offset }), value: Buffer.alloc(bytes) });

describe('Intake', () => {
  it('admits at once while a credit and the bytes are free, and refuses without waiting once they are not', () => {
    const intake = new Intake({ maxMessages: 2, maxBytes: 1_000 });
    expect([intake.tryAdmit(sized(0)), intake.tryAdmit(sized(1)), intake.tryAdmit(sized(2))]).to.deep.equal([true, true, false]);
    expect(intake.messagesInFlight).to.equal(2);
  });

  it('refuses a record whose bytes do not fit without keeping its credit', () => {
    const intake = new Intake({ maxMessages: 5, maxBytes: 100 });
    expect(intake.tryAdmit(sized(0, 80))).to.equal(true);
    expect(intake.tryAdmit(sized(1, 80))).to.equal(false);
    expect(intake.tryAdmit(sized(1, 10))).to.equal(true);
    expect(intake.messagesInFlight).to.equal(2);
  });

  it('admits a waiting record when a completion frees a credit, in the order they asked', () => {
    const intake = new Intake({ maxMessages: 1 });
    const order: number[] = [];
    intake.tryAdmit(sized(0));
    intake.admit(sized(1)).subscribe(() => order.push(1));
    intake.admit(sized(2)).subscribe(() => order.push(2));
    intake.complete(sized(0));
    expect(order).to.deep.equal([1]);
    intake.complete(sized(1));
    expect(order).to.deep.equal([1, 2]);
  });

  it('gives back what a waiter took when it unsubscribes before being admitted', () => {
    const intake = new Intake({ maxMessages: 2, maxBytes: 100 });
    intake.tryAdmit(sized(0, 90));
    const waiting = intake.admit(sized(1, 50)).subscribe();
    waiting.unsubscribe();
    intake.complete(sized(0, 90));
    expect([intake.messagesInFlight, intake.bytesInFlight]).to.deep.equal([0, 0]);
    expect(intake.tryAdmit(sized(1, 100)) && intake.tryAdmit(sized(2, 0))).to.equal(true);
  });

  it('gives everything back and tracks nothing when the record is no longer wanted at its grant', () => {
    const intake = new Intake({ maxMessages: 1, maxBytes: 100 });
    intake.tryAdmit(sized(0));
    const answers: boolean[] = [];
    intake.admit(sized(1), () => false).subscribe((a) => answers.push(a));
    intake.complete(sized(0));
    expect(answers).to.deep.equal([false]);
    expect([intake.messagesInFlight, intake.bytesInFlight]).to.deep.equal([0, 0]);
    expect(intake.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '1' }]);
  });

  it('commits only past completed messages, and frees their credits and bytes', () => {
    const intake = new Intake({ maxMessages: 3, maxBytes: 1_000 });
    for (const o of [0, 1, 2]) intake.tryAdmit(sized(o, 100));
    intake.complete(sized(1));
    expect(intake.takeCommittable()).to.deep.equal([]);
    intake.complete(sized(0));
    expect(intake.takeCommittable()).to.deep.equal([{ topic: 'kyc_events', partition: 0, offset: '2' }]);
    expect([intake.messagesInFlight, intake.bytesInFlight]).to.deep.equal([1, 100]);
  });

  it('passes records on through `admitted` only as credits come back', async () => {
    const intake = new Intake({ maxMessages: 10 });
    const passed = await lastValueFrom(from([sized(0), sized(1), sized(2)]).pipe(admitted(intake), toArray()));
    expect(passed.map((r) => r.offset)).to.deep.equal(['0', '1', '2']);
    expect(intake.messagesInFlight).to.equal(3);
  });

  it('passes records on through `admitted` in order, those behind a waiting one waiting with it', () => {
    const intake = new Intake({ maxMessages: 1 });
    const passed: string[] = [];
    const subscription = from([sized(0), sized(1), sized(2)])
      .pipe(admitted(intake))
      .subscribe((r) => passed.push(r.offset));
    expect(passed).to.deep.equal(['0']);
    intake.complete(sized(0));
    expect(passed).to.deep.equal(['0', '1']);
    intake.complete(sized(1));
    expect(passed).to.deep.equal(['0', '1', '2']);
    subscription.unsubscribe();
  });

  it('weighs a record by its key, value and headers', () => {
    const record = { ...sized(0, 100), key: Buffer.from('case-1'), headers: { 'message-id': 'abc', trace: Buffer.alloc(10) } };
    expect(recordBytes(record)).to.equal(6 + 100 + 'message-id'.length + 3 + 'trace'.length + 10);
  });
});
