import type { KafkaMessage } from 'kafkajs';
import type { InboundRecord } from '../../streams/records.js';

/** kafkajs's message → the pipeline's record; header values that are arrays keep their first value. */
export const toInboundRecord = (topic: string, partition: number, m: KafkaMessage): InboundRecord => ({
  topic,
  partition,
  offset: m.offset,
  key: m.key ?? null,
  value: m.value ?? null,
  headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v[0] : (v ?? undefined)])),
  timestamp: m.timestamp,
});
