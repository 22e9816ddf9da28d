/** A message as casestream receives it from Kafka, before anything is trusted about its content. */
export interface InboundRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  /** Kafka's record timestamp, milliseconds since the epoch, as a string. */
  readonly timestamp: string;
}

/** Where a record sits in Kafka: what offset commits and dead letters refer to. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export const positionOf = (r: RecordPosition): RecordPosition => ({ topic: r.topic, partition: r.partition, offset: r.offset });

/** When Kafka received the record (its timestamp); now when it has none. */
export const recordTime = (r: InboundRecord, now: () => Date = () => new Date()): Date => {
  const ms = Number(r.timestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : now();
};

export const describePosition = (p: RecordPosition): string => `${p.topic}/${p.partition}/${p.offset}`;

const headerText = (value: Buffer | string | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : value.toString('utf8');

/** The largest MAX_IDEMPOTENCY_KEY_LENGTH accepts: no longer header is ever used as a key. */
export const MESSAGE_ID_CEILING = 16_384;

/** C0 and C1 control characters, DEL included: they have no place in a key that is logged and stored. */
const hasControlCharacter = (text: string): boolean => {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
};

/** Bytes of a record's headers, names and values together. */
export const headerBytes = (r: InboundRecord): number =>
  Object.entries(r.headers).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + (value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length),
    0,
  );

/** Why the `message-id` header cannot be an idempotency key of at most `maxLength` characters; null when it can (or is absent). */
export const messageIdProblem = (r: InboundRecord, maxLength: number): string | null => {
  const header = headerText(r.headers['message-id'])?.trim();
  if (!header) return null;
  if (header.length > maxLength) return `the message-id header is ${header.length} characters long, more than the limit of ${maxLength}`;
  return hasControlCharacter(header) ? 'the message-id header contains control characters' : null;
};

/**
 * The idempotency key: the `message-id` header when present and usable, otherwise
 * `<topic>/<partition>/<offset>` (the decoder rejects a record whose header is unusable, and its
 * dead letter and raw copy then still have a key).
 */
export const idempotencyKey = (r: InboundRecord): string => {
  const header = headerText(r.headers['message-id'])?.trim();
  return header && messageIdProblem(r, MESSAGE_ID_CEILING) === null ? header : describePosition(r);
};
