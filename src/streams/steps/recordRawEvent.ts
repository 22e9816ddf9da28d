import { idsFor, type MessageIds } from '../../domain/deterministicId.js';
import { unstorableBecause } from '../../domain/storableDocument.js';
import type { RawEventLog } from '../ports.js';
import { idempotencyKey, recordTime } from '../records.js';
import { afterDone } from '../../operators/afterDone.js';
import type { Step } from '../../operators/steps.js';
import type { CaseWork } from './caseWork.js';
import { inStepSpan } from '../tracing/messageTrace.js';
import { OUTCOME } from '../tracing/semconv.js';

/** The id of a message's raw copy: one per idempotency key. */
export const rawCopyId = (ids: MessageIds): string => ids.of('raw');

/**
 * Keeps every JSON-object client message in raw_events with how it ended: as a document when the
 * database can store it, otherwise as the text received (re-serialising could overflow the stack
 * on a deeply nested value that JSON.parse accepted). `received_at` is when Kafka received it (the
 * record's timestamp, also the time of the events it decides), not when its processing ended.
 */
export const recordRawEvent =
  (log: RawEventLog, now: () => Date = () => new Date()): Step<CaseWork> =>
  (w) => {
    if (w.raw === null) return w;
    // A new case's command carries its message's ids; a rejected message has none yet.
    const ids = w.command?.command_type === 'CreateCase' ? w.command.ids : idsFor(idempotencyKey(w.record));
    const entry = {
      id: rawCopyId(ids),
      payload: unstorableBecause(w.raw) === null ? w.raw : (w.record.value?.toString('utf8') ?? ''),
      received_at: recordTime(w.record, now),
      ...(w.rejection === null ? { status: 'processed' as const } : { status: 'rejected' as const, error: w.rejection }),
    };
    return afterDone(
      inStepSpan(w.trace, 'raw copy', () => log.record(entry), { attributes: () => ({ [OUTCOME]: entry.status }) }),
      w,
    );
  };
