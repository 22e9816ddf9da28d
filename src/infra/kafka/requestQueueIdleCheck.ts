import { createRequire } from 'node:module';

/** What the fix reads of a kafkajs 2.2.x RequestQueue (src/network/requestQueue/index.js). */
export interface KafkajsRequestQueue {
  readonly pending: readonly unknown[];
  /** Until when the broker throttles this connection (ms since the epoch; -1: never throttled). */
  readonly throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

export interface KafkajsRequestQueueClass {
  readonly prototype: KafkajsRequestQueue;
}

const require = createRequire(import.meta.url);

/** The class kafkajs's broker connections use (the same module instance, so its prototype is theirs). */
export const kafkajsRequestQueue = (): KafkajsRequestQueueClass =>
  require('kafkajs/src/network/requestQueue/index.js') as KafkajsRequestQueueClass;

const patched = new WeakSet<KafkajsRequestQueue>();

/**
 * Stops kafkajs 2.2.4's idle timer loop. After its first response, every broker connection checks
 * its queue of waiting requests again and again for as long as it lives: with nothing waiting and
 * no throttle, `throttledUntil - Date.now()` is negative, so the check is rescheduled at 1 ms
 * forever (tulios/kafkajs#1556 and #1704; no release fixes it). That is about 1,000 timers a second
 * per connection (17,000 in a 2,000-message bench run) and their garbage, for no I/O at all.
 *
 * A check is still scheduled whenever requests wait (for an in-flight slot or the end of a
 * throttle) or the connection is throttled; only the idle loop goes. Nothing is left waiting: a
 * request that has to wait schedules its own check (`push`), and every response checks the queue
 * (`fulfillRequest`). Patches the class once, for every client of the process; a kafkajs without
 * the method is left alone.
 */
export const stopIdleRequestQueueChecks = (RequestQueue: KafkajsRequestQueueClass = kafkajsRequestQueue()): void => {
  const proto = RequestQueue.prototype;
  const schedule = proto.scheduleCheckPendingRequests as KafkajsRequestQueue['scheduleCheckPendingRequests'] | undefined;
  if (typeof schedule !== 'function' || patched.has(proto)) return;
  patched.add(proto);
  proto.scheduleCheckPendingRequests = function (this: KafkajsRequestQueue) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
};
