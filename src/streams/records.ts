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

/** The idempotency key: the `message-id` header when present, otherwise `<topic>/<partition>/<offset>`. */
export const idempotencyKey = (r: InboundRecord): string => {
  const header = headerText(r.headers['message-id'])?.trim();
  return header ? header : describePosition(r);
};
