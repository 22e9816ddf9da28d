import type { Message } from 'kafkajs';
import type { Document, UpdateFilter } from 'mongodb';
import type { DomainEvent, NotificationRequired } from '../../src/domain/events.js';
import { projectEvents, type ReadModelWrite } from '../../src/domain/projections.js';
import { toCommandResultUpsert } from '../../src/infra/mongo/commandResults.js';
import { notificationMessage } from '../../src/infra/kafka/kafkaSinks.js';
import { toEventDocument } from '../../src/infra/mongo/eventStore.js';
import { splitWrites, toReadModelUpdate } from '../../src/infra/mongo/readModelStore.js';
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
    const readModels = readModelWrites(projectEvents(events));
    for (const e of events) insert('domain_events', toEventDocument(e));
    for (const [collection, docs] of readModels.created) for (const doc of docs) insert(collection, doc);
    if (message.kind === 'client') {
      insert(
        'raw_events',
        toRawEventUpsert({ id: message.messageId, payload: parsed as Record<string, unknown>, received_at: AT, status: 'processed' }, AT)
          .insert,
      );
    } else if (command) {
      const outcome = rejected
        ? { status: 'rejected' as const, reason: rejected.reason }
        : { status: 'processed' as const, event_ids: events.map((e) => e.event_id) };
      insert(
        'command_results',
        toCommandResultUpsert({ command_id: command.command_id, case_id: command.case_id, completed_at: AT, ...outcome }).insert,
      );
    }
    byMessage.set(message.messageId, {
      inserts,
      updates: readModels.updates,
      notifications: events.filter(isNotification).map(notificationMessage),
    });
  }
  return byMessage;
};

const isNotification = (e: DomainEvent): e is NotificationRequired => e.event_type === 'NotificationRequired';

/**
 * The read-model documents a message's writes create and the updates that follow, per collection,
 * split as casestream's read-model store splits a batch (`splitWrites`).
 */
const readModelWrites = (writes: readonly ReadModelWrite[]): { created: Map<string, Document[]>; updates: StoredUpdate[] } => {
  const byCollection = new Map<string, { write: ReadModelWrite }[]>();
  for (const write of writes) pushTo(byCollection, write.collection, { write });
  const created = new Map<string, Document[]>();
  const updates: StoredUpdate[] = [];
  for (const [collection, items] of byCollection) {
    const split = splitWrites(items);
    created.set(
      collection,
      [...split.created].map(([id, e]) => ({ ...e.doc, _id: id })),
    );
    for (const { write } of split.updates) {
      const update = toReadModelUpdate(write);
      if (update !== undefined) updates.push({ collection, filter: { _id: write.id }, update: update.update });
    }
  }
  return { created, updates };
};
