import { expect } from 'chai';
import type { Message, Producer, ProducerBatch } from 'kafkajs';
import { firstValueFrom, forkJoin, EMPTY } from 'rxjs';
import { idFor } from '../../../src/domain/deterministicId.js';
import { rejection } from '../../../src/domain/rejection.js';
import { createKafkaSinks, isTooLargeForBroker } from '../../../src/infra/kafka/kafkaSinks.js';
import { recordOf } from '../../support/records.js';

/** What the broker would answer for a message larger than its limit, as kafkajs reports it after its retries. */
const tooLarge = (): Error => {
  const protocol = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
    name: 'KafkaJSProtocolError',
    type: 'MESSAGE_TOO_LARGE',
  });
  return Object.assign(new Error(protocol.message), { name: 'KafkaJSNonRetriableError', cause: protocol });
};

/** A producer that keeps what it sent and refuses any batch holding a value above `brokerLimit` bytes. */
const fakeProducer = (brokerLimit = Number.POSITIVE_INFINITY) => {
  const sent: Message[][] = [];
  const producer = {
    sendBatch: async (batch: ProducerBatch) => {
      const messages = batch.topicMessages?.[0]?.messages ?? [];
      if (messages.some((m) => ((m.value as Buffer | null)?.length ?? 0) > brokerLimit)) throw tooLarge();
      sent.push(messages);
      return [];
    },
  } as unknown as Producer;
  return { producer, sent };
};

const sinksOf = (producer: Producer, omitted: string[] = []) =>
  createKafkaSinks(producer, {
    notificationTopic: 'notification_events',
    deadLetterTopic: 'kyc_events.dlq',
    maxBatch: 100,
    markPublished: () => EMPTY,
    maxDeadLetterBytes: 2_048,
    maxDeadLetterHeaderBytes: 1_024,
    rawEventsTopic: 'kyc_events',
    onValueOmitted: (record) => omitted.push(record.offset),
  });

const why = rejection('invalid client data message: $.persons must have at most 200 items');

describe('createKafkaSinks dead letters', () => {
  it('sends a dead letter whole, with its value, when it fits', async () => {
    const { producer, sent } = fakeProducer();
    const record = recordOf({ small: true }, { offset: 1 });
    await firstValueFrom(sinksOf(producer).deadLetters.send(record, why), { defaultValue: undefined });
    expect(sent.flat()).to.have.length(1);
    expect(sent.flat()[0]!.value).to.deep.equal(record.value);
  });

  it('sends a dead letter larger than the limit without its value, with a reference to the original, and counts it', async () => {
    const { producer, sent } = fakeProducer();
    const omitted: string[] = [];
    const record = recordOf({ big: 'x'.repeat(5_000) }, { offset: 7, headers: { 'message-id': 'm-7' } });
    await firstValueFrom(sinksOf(producer, omitted).deadLetters.send(record, why), { defaultValue: undefined });
    const [letter] = sent.flat();
    expect(letter!.value).to.equal(null);
    expect(letter!.headers).to.include({
      'x-original-omitted': 'too-large',
      'x-original-bytes': String(record.value!.length),
      'x-raw-event-id': idFor('m-7', 'raw'),
      'x-source-topic': 'kyc_events',
      'x-source-partition': '0',
      'x-source-offset': '7',
    });
    expect(omitted).to.deep.equal(['7']);
  });

  it('treats the broker refusing a dead letter as too large as final: sends it without its value instead of retrying forever', async () => {
    const { producer, sent } = fakeProducer(500);
    const omitted: string[] = [];
    const record = recordOf({ medium: 'x'.repeat(1_000) }, { offset: 3 });
    await firstValueFrom(sinksOf(producer, omitted).deadLetters.send(record, why), { defaultValue: undefined });
    expect(sent.flat().map((m) => m.value)).to.deep.equal([null]);
    expect(omitted).to.deep.equal(['3']);
  });

  it('does not make the other dead letters of a refused batch lose their values', async () => {
    const { producer, sent } = fakeProducer(500);
    const sinks = sinksOf(producer);
    const small = recordOf({ a: 1 }, { offset: 1 });
    const medium = recordOf({ medium: 'x'.repeat(1_000) }, { offset: 2 });
    const other = recordOf({ b: 2 }, { offset: 3 });
    await firstValueFrom(forkJoin([small, medium, other].map((r) => sinks.deadLetters.send(r, why))));
    const byOffset = new Map(sent.flat().map((m) => [String((m.headers ?? {})['x-source-offset']), m.value]));
    expect(byOffset.get('1')).to.deep.equal(small.value);
    expect(byOffset.get('2')).to.equal(null);
    expect(byOffset.get('3')).to.deep.equal(other.value);
  });

  it('still fails on any other broker error, so that it is retried', async () => {
    const producer = { sendBatch: () => Promise.reject(new Error('broker not available')) } as unknown as Producer;
    const send = firstValueFrom(sinksOf(producer).deadLetters.send(recordOf({ a: 1 }, { offset: 1 }), why));
    await send.then(
      () => expect.fail('expected the send to fail'),
      (e: Error) => expect(e.message).to.equal('broker not available'),
    );
  });
});

describe('isTooLargeForBroker', () => {
  it('recognises both size refusals of the broker, however deeply kafkajs wraps them', () => {
    expect(isTooLargeForBroker(tooLarge())).to.equal(true);
    expect(isTooLargeForBroker({ type: 'RECORD_LIST_TOO_LARGE' })).to.equal(true);
  });

  it('does not take other errors for one', () => {
    for (const e of [new Error('MESSAGE_TOO_LARGE'), { type: 'NOT_LEADER_FOR_PARTITION' }, null, 'MESSAGE_TOO_LARGE']) {
      expect(isTooLargeForBroker(e)).to.equal(false);
    }
  });
});
