import { createRequire } from 'node:module';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  stopIdleRequestQueueChecks,
  type KafkajsRequestQueue,
  type KafkajsRequestQueueClass,
} from '../../../src/infra/kafka/requestQueueIdleCheck.js';

/** kafkajs's RequestQueue as its broker connections use it (constructor and the calls a connection makes). */
interface RequestQueue extends KafkajsRequestQueue {
  push(request: object): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
  checkPendingRequests(): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}
type RequestQueueConstructor = new (options: object) => RequestQueue;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const require = createRequire(import.meta.url);
const modulePath = require.resolve('kafkajs/src/network/requestQueue/index.js');

/**
 * kafkajs's RequestQueue from a module instance of its own: as kafkajs ships it, whether or not the
 * process's instance was patched already (every createKafka patches it), and patched alone.
 */
const freshClass = (): RequestQueueConstructor & KafkajsRequestQueueClass => {
  const shared = require.cache[modulePath];
  delete require.cache[modulePath];
  try {
    return require(modulePath) as RequestQueueConstructor & KafkajsRequestQueueClass;
  } finally {
    require.cache[modulePath] = shared;
  }
};

const queueOf = (Queue: RequestQueueConstructor, maxInFlightRequests: number | null = null): RequestQueue =>
  new Queue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'b:9092',
    logger: quiet,
  });

/** A request as a connection pushes it; `sent` records that its bytes went to the socket. */
const request = (correlationId: number, sent: number[]) => ({
  entry: { apiKey: 0, apiName: 'Produce', apiVersion: 7, correlationId, resolve: () => undefined, reject: () => undefined },
  expectResponse: true,
  sendRequest: () => sent.push(correlationId),
});

describe('stopIdleRequestQueueChecks (kafkajs idle timer loop)', () => {
  let clock: sinon.SinonFakeTimers;
  let queues: RequestQueue[];
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
    queues = [];
  });
  afterEach(() => {
    for (const q of queues) q.destroy();
    clock.restore();
  });
  const make = (Queue: RequestQueueConstructor, maxInFlightRequests: number | null = null) => {
    const q = queueOf(Queue, maxInFlightRequests);
    queues.push(q);
    return q;
  };

  it('kafkajs alone keeps rescheduling a 1 ms check on an idle connection (the loop this stops)', () => {
    const q = make(freshClass());
    const sent: number[] = [];
    q.push(request(1, sent));

    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    clock.tick(50);

    expect(clock.countTimers()).to.equal(1);
    expect(sent).to.deep.equal([1]);
  });

  it('leaves an idle connection without any timer once its responses are in', () => {
    const Queue = freshClass();
    stopIdleRequestQueueChecks(Queue);
    const q = make(Queue);
    const sent: number[] = [];
    q.push(request(1, sent));

    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    clock.tick(50);

    expect(clock.countTimers()).to.equal(0);
    expect(sent).to.deep.equal([1]);
  });

  it('still sends a request that waited for an in-flight slot, when the slot frees', () => {
    const Queue = freshClass();
    stopIdleRequestQueueChecks(Queue);
    const q = make(Queue, 1);
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent).to.deep.equal([1]);

    q.fulfillRequest({ correlationId: 1, payload: null, size: 0 });

    expect(sent).to.deep.equal([1, 2]);
  });

  it('still sends a request held back by a broker throttle once the throttle ends, with nothing else happening', () => {
    const Queue = freshClass();
    stopIdleRequestQueueChecks(Queue);
    const q = make(Queue);
    const sent: number[] = [];
    q.maybeThrottle(100);
    q.push(request(1, sent));
    expect(sent).to.deep.equal([]);

    clock.tick(150);

    expect(sent).to.deep.equal([1]);
    expect(clock.countTimers()).to.equal(0);
  });

  it('patches a class once, however often it is asked to', () => {
    const Queue = freshClass();
    stopIdleRequestQueueChecks(Queue);
    const once = Queue.prototype.scheduleCheckPendingRequests;

    stopIdleRequestQueueChecks(Queue);

    expect(Queue.prototype.scheduleCheckPendingRequests).to.equal(once);
  });
});
