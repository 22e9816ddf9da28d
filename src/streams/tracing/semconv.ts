/**
 * The attribute names casestream's spans carry. The OpenTelemetry semantic conventions for
 * messaging, databases and HTTP are copied here rather than imported: the messaging and database
 * ones are still incubating, and the pipeline needs the vendor-neutral API alone. Values are ids,
 * positions, counts and reasons, never the content of a message (the logs' standard).
 */

export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';

export const DB_SYSTEM_NAME = 'db.system.name';
export const DB_NAMESPACE = 'db.namespace';
export const DB_COLLECTION_NAME = 'db.collection.name';
export const DB_OPERATION_NAME = 'db.operation.name';
export const DB_OPERATION_BATCH_SIZE = 'db.operation.batch.size';

export const HTTP_REQUEST_METHOD = 'http.request.method';
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const HTTP_ROUTE = 'http.route';
export const URL_FULL = 'url.full';
export const URL_SCHEME = 'url.scheme';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const ERROR_TYPE = 'error.type';

/** casestream's own attributes. */
export const CASE_ID = 'casestream.case_id';
export const COMMAND_ID = 'casestream.command_id';
export const COMMAND_TYPE = 'casestream.command_type';
/** How a message ended: `processed` or `rejected`. */
export const OUTCOME = 'casestream.outcome';
export const REJECTION_REASON = 'casestream.rejection.reason';
/** How many failing fields a rejection names. */
export const REJECTION_DETAILS = 'casestream.rejection.details';
/** Events decided, appended or published. */
export const EVENT_COUNT = 'casestream.events';
/** The case's version after the append. */
export const CASE_VERSION = 'casestream.case.version';
/** `appended`, `conflict` or `key-reused`. */
export const APPEND_RESULT = 'casestream.append.result';
/** Events of the append that were stored already (a redelivery). */
export const APPEND_DUPLICATES = 'casestream.append.duplicates';
/** Appends of a batch refused for a version conflict, and for a reused idempotency key. */
export const APPEND_CONFLICTS = 'casestream.append.conflicts';
export const APPEND_KEYS_REUSED = 'casestream.append.keys_reused';
/** Case snapshots an append batch could not write (loads of those cases then fold more events). */
export const SNAPSHOTS_UNWRITTEN = 'casestream.append.snapshots_unwritten';
export const CONFLICT_AGGREGATE = 'casestream.append.conflict.aggregate_id';
export const CONFLICT_VERSION = 'casestream.append.conflict.version';
export const RULE_TRIGGER = 'casestream.rule.trigger';
/** `rule`, `no-rule` or `unavailable`. */
export const RULE_ANSWER = 'casestream.rule.answer';
export const RULE_ID = 'casestream.rule.id';
/** Where a rule came from: `hit` (a fresh cached answer), `miss` (the Configuration Service answered) or `stale`. */
export const RULE_CACHE = 'casestream.rule.cache';
/** The cache layer of a hit or a stale answer: `memory` or `redis`. */
export const RULE_CACHE_LAYER = 'casestream.rule.cache_layer';
/** The Configuration Service's circuit when the lookup started: `closed`, `open`, `half-open` (or `disabled`). */
export const RULE_CIRCUIT = 'casestream.rule.circuit';
export const RULE_UNAVAILABLE_REASON = 'casestream.rule.unavailable_reason';
/** Read-model writes of a projection. */
export const WRITE_COUNT = 'casestream.read_model.writes';
/** How many callers' calls one batched round trip carries. */
export const BATCH_CALLERS = 'casestream.batch.callers';
/** Callers of a batch whose own part failed. */
export const BATCH_FAILED = 'casestream.batch.failed';
