import type { Context } from '@opentelemetry/api';
import type { Collection, Db } from 'mongodb';
import { map, type Observable } from 'rxjs';
import { createMicroBatcher } from '../../lib/microBatcher.js';
import { bulkUpsert, type Upsert } from './bulkUpsert.js';
import { callerContext, tracedBatch } from '../telemetry/batchSpan.js';
import { failedParts, mongoBatchSpan } from './batchSpans.js';
import { chunksOf } from './updateChunks.js';
import type { CommandEnd } from '../../streams/commandRoundTrip.js';

export const COMMAND_RESULTS_COLLECTION = 'command_results';

/** The REST Idempotency-Key log: `_id` = the key, which MongoDB and FerretDB keep unique. */
export const API_IDEMPOTENCY_COLLECTION = 'api_idempotency';

/** One Idempotency-Key, bound to the request it first came with and the command it created. */
export interface IdempotencyKeyDocument {
  _id: string;
  /** SHA-256 of the request (see requestFingerprint). */
  request_hash: string;
  command_id: string;
  created_at: Date;
}

/** What a key claim found: a new key, the command of an earlier identical request, or another request. */
export type IdempotencyClaim =
  { readonly kind: 'claimed' } | { readonly kind: 'replay'; readonly command_id: string } | { readonly kind: 'conflict' };

export type CommandStatus = 'pending' | 'processed' | 'rejected';

/**
 * What became of one case command, keyed by its command_id: written `pending` by the API when it
 * accepts a command, completed by the pipeline when the command-topic message is complete.
 */
export interface CommandResultDocument {
  _id: string;
  status: CommandStatus;
  case_id: string | null;
  /** Set by the API. */
  accepted_at?: Date;
  /** Set on completion. */
  event_ids?: string[];
  reason?: string;
  completed_at?: Date;
}

/** How one command ended, as the pipeline reports it. */
export type CommandResult =
  | {
      readonly command_id: string;
      readonly status: 'processed';
      readonly case_id: string | null;
      /** The ids of the events the command recorded (empty when it changed nothing). */
      readonly event_ids: readonly string[];
      readonly completed_at: Date;
    }
  | {
      readonly command_id: string;
      readonly status: 'rejected';
      readonly case_id: string | null;
      readonly reason: string;
      readonly completed_at: Date;
    };

/** What `GET /api/v1/commands/{command_id}` answers. */
export type CommandStatusView =
  | { readonly status: 'pending' }
  | { readonly status: 'processed'; readonly event_ids: readonly string[] }
  | { readonly status: 'rejected'; readonly reason: string };

export const commandResultsCollection = (db: Db): Collection<CommandResultDocument> =>
  db.collection<CommandResultDocument>(COMMAND_RESULTS_COLLECTION);

export interface CommandResultStore {
  /** Records how a command ended; idempotent (a redelivered command writes the same result again). */
  record(result: CommandResult): Observable<void>;
}

export interface CommandResultStoreOptions {
  /** The most results one bulkWrite carries (default 500). */
  readonly maxBatch?: number;
  /** How long a record waits for company before its batch starts (default 0: the next macrotask). */
  readonly maxWaitMs?: number;
}

/**
 * The upsert of one result, by `_id` = command_id; `accepted_at` is left as the API wrote it. A
 * command that did not come through the API has no document yet: it is inserted whole (on FerretDB
 * v1 an insert is cheap, every update scans the collection). A redelivery that ended as before
 * leaves the stored result as it is.
 */
export const toCommandResultUpsert = (r: CommandResult): Upsert<CommandResultDocument> & { insert: CommandResultDocument } => {
  const outcome =
    r.status === 'processed'
      ? { status: r.status, case_id: r.case_id, event_ids: [...r.event_ids], completed_at: r.completed_at }
      : { status: r.status, case_id: r.case_id, reason: r.reason, completed_at: r.completed_at };
  return {
    filter: { _id: r.command_id },
    changes: (stored) => stored.status !== r.status,
    insert: { _id: r.command_id, ...outcome },
    update: { $set: outcome, $unset: r.status === 'processed' ? { reason: '' } : { event_ids: '' } },
  };
};

/**
 * The `command_results` writer the pipeline calls on completion of every command-topic message.
 * Concurrent records are gathered by a micro-batcher and written by `bulkUpsert`: new results in one
 * insertMany, the rest as upserts; a failed write fails its own caller only.
 */
export const createCommandResultStore = (db: Db, opts: CommandResultStoreOptions = {}): CommandResultStore => {
  const results = commandResultsCollection(db);
  const runBatch = (items: CommandResult[]) => bulkUpsert(results, items.map(toCommandResultUpsert), 'command result record failed');
  const submit = createMicroBatcher<CommandResult, Error | undefined, Context>({
    run: tracedBatch(mongoBatchSpan(db, COMMAND_RESULTS_COLLECTION, 'upsert', { results: failedParts }), runBatch),
    tagOf: callerContext,
    maxBatch: opts.maxBatch ?? 500,
    maxWaitMs: opts.maxWaitMs ?? 0,
  });
  return {
    record: (result) =>
      submit(result).pipe(
        map((error) => {
          if (error !== undefined) throw error;
        }),
      ),
  };
};

/**
 * The result of a completed command-topic message, or undefined when it carries no command id (a
 * message so malformed that its command_id could not be read): `completion` is the pipeline's
 * Completion (its outcome, case_id, event_ids and reason), `command_id` the id the message carried.
 */
export const commandResultOf = (
  completion: {
    readonly outcome: 'processed' | 'rejected';
    readonly case_id: string | null;
    readonly event_ids: readonly string[];
    readonly reason: string | null;
  },
  command_id: string | null | undefined,
  completed_at: Date = new Date(),
): CommandResult | undefined => {
  if (typeof command_id !== 'string' || command_id.trim() === '') return undefined;
  return completion.outcome === 'processed'
    ? { command_id, status: 'processed', case_id: completion.case_id, event_ids: [...completion.event_ids], completed_at }
    : { command_id, status: 'rejected', case_id: completion.case_id, reason: completion.reason ?? 'rejected', completed_at };
};

/** The API's side: a freshly accepted command, and its status. */
export interface CommandResultReader {
  /** Inserts `{_id: command_id, status: 'pending', case_id, accepted_at}` before the command is published. */
  accept(command_id: string, case_id: string, accepted_at?: Date): Promise<void>;
  /** Removes a pending entry whose command could not be published. */
  forget(command_id: string): Promise<void>;
  status(command_id: string): Promise<CommandStatusView | undefined>;
  /** Binds `key` to a request and the command it creates, unless it is already bound (then: replay or conflict). */
  claimIdempotencyKey(key: string, request_hash: string, command_id: string, at?: Date): Promise<IdempotencyClaim>;
  /** Frees a key whose command could not be published, so a retry can use it. */
  releaseIdempotencyKey(key: string, command_id: string): Promise<void>;
}

/** What a stored key means for a request with `request_hash`. */
export const claimOf = (stored: Pick<IdempotencyKeyDocument, 'request_hash' | 'command_id'>, request_hash: string): IdempotencyClaim =>
  stored.request_hash === request_hash ? { kind: 'replay', command_id: stored.command_id } : { kind: 'conflict' };

const isDuplicateKey = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;

export const toStatusView = (d: Pick<CommandResultDocument, 'status' | 'event_ids' | 'reason'>): CommandStatusView => {
  switch (d.status) {
    case 'processed':
      return { status: 'processed', event_ids: d.event_ids ?? [] };
    case 'rejected':
      return { status: 'rejected', reason: d.reason ?? 'rejected' };
    default:
      return { status: 'pending' };
  }
};

export const createCommandResultReader = (db: Db): CommandResultReader => {
  const results = commandResultsCollection(db);
  const keys = db.collection<IdempotencyKeyDocument>(API_IDEMPOTENCY_COLLECTION);
  /** Insert first: the unique `_id` is the one atomic check on FerretDB v1; a duplicate is read and compared. */
  const claim = async (
    key: string,
    request_hash: string,
    command_id: string,
    at: Date,
    attemptsLeft: number,
  ): Promise<IdempotencyClaim> => {
    try {
      await keys.insertOne({ _id: key, request_hash, command_id, created_at: at });
      return { kind: 'claimed' };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const stored = await keys.findOne({ _id: key });
    if (stored !== null) return claimOf(stored, request_hash);
    // Released between our insert and our read: claim again.
    if (attemptsLeft > 0) return claim(key, request_hash, command_id, at, attemptsLeft - 1);
    throw new Error('the idempotency key changed hands too often');
  };
  return {
    claimIdempotencyKey: (key, request_hash, command_id, at = new Date()) => claim(key, request_hash, command_id, at, 3),
    releaseIdempotencyKey: async (key, command_id) => {
      await keys.deleteOne({ _id: key, command_id });
    },
    accept: async (command_id, case_id, accepted_at = new Date()) => {
      await results.insertOne({ _id: command_id, status: 'pending', case_id, accepted_at });
    },
    forget: async (command_id) => {
      await results.deleteOne({ _id: command_id, status: 'pending' });
    },
    status: async (command_id) => {
      const d = await results.findOne({ _id: command_id });
      return d === null ? undefined : toStatusView(d);
    },
  };
};

/** How the commands among `ids` that are complete ended, read from command_results. */
export const endedCommands = async (db: Db, ids: readonly string[]): Promise<CommandEnd[]> => {
  const results = commandResultsCollection(db);
  const ended: CommandEnd[] = [];
  for (const chunk of chunksOf(ids, 500)) {
    for (const d of await results.find({ _id: { $in: chunk }, status: { $ne: 'pending' } }).toArray()) {
      const view = toStatusView(d);
      if (view.status === 'rejected') ended.push({ command_id: d._id, status: 'rejected', reason: view.reason });
      else if (view.status === 'processed') ended.push({ command_id: d._id, status: 'processed', event_ids: view.event_ids });
    }
  }
  return ended;
};
