import type { IHeaders } from 'kafkajs';
import type { Rejection } from '../../domain/rejection.js';
import type { InboundRecord } from '../../streams/records.js';

/** DLQ_MAX_HEADER_BYTES's default: the most bytes a dead letter's headers take, names and values together. */
export const DEFAULT_DEAD_LETTER_HEADER_BYTES = 16_384;

const REASON = 'x-error-reason';
const DETAILS = 'x-error-details';
const DETAILS_OMITTED = 'x-error-details-omitted';
const HEADERS_DROPPED = 'x-original-headers-dropped';
/** Header names casestream writes on a dead letter: a record's own headers by these names are not copied. */
const OWN_PREFIXES = ['x-error-', 'x-source-', 'x-original-', 'x-raw-'];
/** The W3C trace headers: a dead letter carries the trace of its rejection, which continues the record's own. */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);
/** Room kept for a count header: its name and the longest count it can carry. */
const COUNT_ROOM = Buffer.byteLength(HEADERS_DROPPED) + String(Number.MAX_SAFE_INTEGER).length;

const bytesOf = (value: Buffer | string): number => (typeof value === 'string' ? Buffer.byteLength(value) : value.length);

/** Bytes of a header set, names and values together, as the broker counts them. */
export const headerSetBytes = (headers: IHeaders): number =>
  Object.entries(headers).reduce((sum, [name, value]) => {
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
    return sum + Buffer.byteLength(name) + values.reduce((s: number, v) => s + bytesOf(v), 0);
  }, 0);

/** Two needs sharing a budget: both met when they fit; otherwise the smaller is met up to half and the other takes the rest. */
const share = (budget: number, a: number, b: number): [number, number] => {
  if (a + b <= budget) return [a, b];
  const half = Math.floor(budget / 2);
  if (a <= half) return [a, budget - a];
  if (b <= half) return [budget - b, b];
  return [half, budget - half];
};

/** At most `max` UTF-8 bytes of `text`, cut at a character and marked with … when cut. */
const truncated = (text: string, max: number): string => {
  if (Buffer.byteLength(text) <= max) return text;
  const room = max - Buffer.byteLength('…');
  let used = 0;
  let out = '';
  for (const ch of text) {
    used += Buffer.byteLength(ch);
    if (used > room) break;
    out += ch;
  }
  return room < 0 ? '' : `${out}…`;
};

/** The JSON array of the first details that fit in `max` bytes, and how many it leaves out. */
const fittedDetails = (details: Rejection['details'], max: number): { readonly json: string; readonly left: number } => {
  let size = 2;
  let kept = 0;
  for (const d of details) {
    const entry = Buffer.byteLength(JSON.stringify(d)) + (kept > 0 ? 1 : 0);
    if (size + entry > max) break;
    size += entry;
    kept += 1;
  }
  return { json: JSON.stringify(details.slice(0, kept)), left: details.length - kept };
};

/** The trace headers a dead letter keeps: all of them within a quarter of its budget, else `traceparent` alone. */
const traceWithin = (trace: IHeaders, maxBytes: number): IHeaders =>
  headerSetBytes(trace) <= maxBytes / 4 || trace.traceparent === undefined ? trace : { traceparent: trace.traceparent };

/**
 * The headers of a dead letter, at most `maxBytes` in all: where the record came from, and the
 * `traceparent`/`tracestate` of its rejection's trace (`trace`; they stand in for the record's own
 * trace headers, which that trace continues), always; why it was refused (`x-error-reason`, cut
 * short with … when too long; `x-error-details`, a JSON array of the first failing fields that fit,
 * with `x-error-details-omitted` counting the rest); and the record's own headers, in order, as
 * many as fit (`x-original-headers-dropped` counts the others). When everything does not fit, the
 * error headers and the original ones each get at least half of what is left after the source
 * position and the trace.
 */
export const deadLetterHeaders = (
  record: InboundRecord,
  why: Rejection,
  maxBytes: number = DEFAULT_DEAD_LETTER_HEADER_BYTES,
  trace: IHeaders = {},
): IHeaders => {
  const position: IHeaders = {
    ...traceWithin(trace, maxBytes),
    'x-source-topic': record.topic,
    'x-source-partition': String(record.partition),
    'x-source-offset': record.offset,
  };
  const replacesTrace = Object.keys(trace).length > 0;
  const originals = Object.entries(record.headers).filter(
    (entry): entry is [string, Buffer | string] =>
      entry[1] !== undefined &&
      !OWN_PREFIXES.some((prefix) => entry[0].startsWith(prefix)) &&
      !(replacesTrace && TRACE_HEADERS.has(entry[0])),
  );
  const reason = why.reason.replace(/[\r\n]+/g, ' ');
  const available = Math.max(0, maxBytes - headerSetBytes(position) - 2 * COUNT_ROOM);
  const reasonNeed = Buffer.byteLength(REASON) + Buffer.byteLength(reason);
  const detailsNeed = Buffer.byteLength(DETAILS) + Buffer.byteLength(JSON.stringify(why.details));
  const originalsNeed = originals.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + bytesOf(value), 0);
  const [errorsBudget] = share(available, reasonNeed + detailsNeed, originalsNeed);
  const [reasonBudget, detailsBudget] = share(errorsBudget, reasonNeed, detailsNeed);
  const reasonValue = truncated(reason, reasonBudget - Buffer.byteLength(REASON));
  const details = fittedDetails(why.details, detailsBudget - Buffer.byteLength(DETAILS));
  const omitted = details.left + (why.omitted ?? 0);

  let room =
    available - Buffer.byteLength(REASON) - Buffer.byteLength(reasonValue) - Buffer.byteLength(DETAILS) - Buffer.byteLength(details.json);
  const kept: IHeaders = {};
  let dropped = 0;
  for (const [name, value] of originals) {
    const size = Buffer.byteLength(name) + bytesOf(value);
    if (size <= room) {
      kept[name] = value;
      room -= size;
    } else dropped += 1;
  }
  return {
    ...kept,
    [REASON]: reasonValue,
    [DETAILS]: details.json,
    ...(omitted > 0 ? { [DETAILS_OMITTED]: String(omitted) } : {}),
    ...(dropped > 0 ? { [HEADERS_DROPPED]: String(dropped) } : {}),
    ...position,
  };
};
