import type { Message } from 'kafkajs';
import type { Document, UpdateFilter } from 'mongodb';
import type { DomainEvent, NotificationRequired } from '../../src/domain/events.js';
import { applyWrite, projectEvents, type ReadModelWrite } from '../../src/domain/projections.js';
import { toCommandResultUpsert } from '../../src/infra/http/commandResults.js';
import { notificationMessage } from '../../src/infra/kafka/kafkaSinks.js';
import { toEventDocument } from '../../src/infra/mongo/eventStore.js';
import { toReadModelUpdate } from '../../src/infra/mongo/readModelStore.js';
import { toRawEventUpsert } from '../../src/infra/mongo/rawEventLog.js';
import { decideWorkload } from './oracle.js';
import { pushTo } from './pushTo.js';
import type { RulesByTrigger, Workload } from './workload.js';

/** A change to a document that exists, filtered by `_id` as casestream filters it on FerretDB. */
export interface StoredUpdate {
  readonly collection: string;
  readonly filter: { readonly _id: string };
  readonly update: UpdateFilter<Document>;
}

/** What casestream stores and publishes for one message, built the way casestream builds it. */
export interface StoredWork {
  /** Collection → the documents the message creates. */
  readonly inserts: ReadonlyMap<string, readonly Document[]>;
  readonly updates: readonly StoredUpdate[];
  readonly notifications: readonly Message[];
}

/** Every timestamp casestream would take from its clock (same BSON size whatever the value). */
const AT = new Date(0);

/**
 * The documents and notifications casestream writes for every message of the workload (by message
 * id), computed ahead with casestream's domain and its storage mappings, so that the limit
 * contender can write exactly those without deciding anything while it is measured. The outbox
 * entries and dead letters casestream also writes are left out: the limit stays a lower bound.
 */
export const storedWork = (workload: Workload, rules: RulesByTrigger): Map<string, StoredWork> => {
  const byMessage = new Map<string, StoredWork>();
  for (const { message, parsed, events, command, rejected } of decideWorkload(workload, rules)) {
    const inserts = new Map<string, Document[]>();
    const insert = (collection: string, doc: Document) => pushTo(inserts, collection, doc);
    const writes = projectEvents(events);
    for (const e of events) insert('domain_events', toEventDocument(e));
    for (const [collection, docs] of createdReadModels(writes)) for (const doc of docs) insert(collection, doc);
    if (message.kind === 'client') {
      insert('raw_events', toRawEventUpsert({ id: message.messageId, payload: parsed as Record<string, unknown>, received_at: AT, status: 'processed' }, AT).insert);
    } else if (command) {
      const outcome = rejected
        ? { status: 'rejected' as const, reason: rejected.reason }
        : { status: 'processed' as const, event_ids: events.map((e) => e.event_id) };
      insert('command_results', toCommandResultUpsert({ command_id: command.command_id, case_id: command.case_id, completed_at: AT, ...outcome }).insert);
    }
    const updates = writes.flatMap((w): StoredUpdate[] => {
      const update = w.guard === undefined ? undefined : toReadModelUpdate(w);
      return update === undefined ? [] : [{ collection: w.collection, filter: { _id: w.id }, update: update.update }];
    });
    byMessage.set(message.messageId, { inserts, updates, notifications: events.filter(isNotification).map(notificationMessage) });
  }
  return byMessage;
};

const isNotification = (e: DomainEvent): e is NotificationRequired => e.event_type === 'NotificationRequired';

/** The read-model documents unguarded writes create, each id's writes merged as casestream merges them before its insertMany. */
const createdReadModels = (writes: readonly ReadModelWrite[]): Map<string, Document[]> => {
  const created = new Map<string, Map<string, Document>>();
  for (const w of writes) {
    if (w.guard !== undefined) continue;
    const docs = created.get(w.collection) ?? new Map<string, Document>();
    docs.set(w.id, { ...applyWrite(docs.get(w.id), w), _id: w.id });
    created.set(w.collection, docs);
  }
  return new Map([...created].map(([collection, docs]) => [collection, [...docs.values()]]));
};
