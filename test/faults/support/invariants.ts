import type { Db } from 'mongodb';
import { MARKER } from './badInputs.js';
import type { ReadMessage } from './kafka.js';
import type { DrivenMessage, InvalidMessage, ValidMessage } from './messages.js';

/**
 * The invariants every fault scenario ends with, checked on one snapshot of MongoDB and of the
 * notification and dead-letter topics. Collections are read once each with a projection and
 * checked in memory: FerretDB v1 (SQLite) scans for every query, so one query per case would take
 * minutes.
 */

export interface StoredEvent {
  readonly aggregate_id: string;
  readonly version: number;
  readonly event_type: string;
  readonly event_id: string;
}

export interface Snapshot {
  readonly cases: readonly { readonly id: string; readonly client_id: string }[];
  readonly events: readonly StoredEvent[];
  readonly lookupFailures: readonly { readonly case_id: string; readonly status: string; readonly trigger: string }[];
  /** Event ids still in notification_outbox (stored, not yet acknowledged by Kafka). */
  readonly outbox: readonly string[];
  readonly notifications: readonly ReadMessage[];
  readonly deadLetters: readonly ReadMessage[];
  readonly readMs: number;
}

export const readSnapshot = async (
  db: Db,
  notifications: readonly ReadMessage[],
  deadLetters: readonly ReadMessage[],
): Promise<Snapshot> => {
  const t0 = Date.now();
  const [cases, events, lookupFailures, outbox] = await Promise.all([
    db
      .collection('cases')
      .find({}, { projection: { _id: 0, id: 1, client_id: 1 } })
      .toArray(),
    db
      .collection('domain_events')
      .find({}, { projection: { _id: 0, aggregate_id: 1, version: 1, event_type: 1, event_id: 1 } })
      .toArray(),
    db
      .collection('notification_lookup_failures')
      .find({}, { projection: { _id: 0, case_id: 1, status: 1, trigger: 1 } })
      .toArray(),
    db
      .collection('notification_outbox')
      .find({}, { projection: { _id: 1 } })
      .toArray(),
  ]);
  return {
    cases: cases as unknown as Snapshot['cases'],
    events: events as unknown as StoredEvent[],
    lookupFailures: lookupFailures as unknown as Snapshot['lookupFailures'],
    outbox: outbox.map((d) => String(d._id)),
    notifications: [...notifications],
    deadLetters: [...deadLetters],
    readMs: Date.now() - t0,
  };
};

export interface CheckOptions {
  /** The inbound topic (dead letters must name it in x-source-topic). */
  readonly sourceTopic: string;
  /**
   * Scenario 5: a case whose rule lookup failed may have no NotificationRequired as long as it has
   * an open entry in notification_lookup_failures (for `casestream notifications retry`).
   */
  readonly allowLookupFailures?: boolean;
  /**
   * Scenario 8: message-ids of valid messages that were sent a second time with other content;
   * each must have exactly one dead letter, for the reuse, and the case of the first content.
   */
  readonly reusedIds?: readonly string[];
}

export const KEY_REUSED_REASON = 'message-id reused for different content';

export interface Counts {
  cases: {
    valid: number;
    exactlyOne: number;
    missing: number;
    duplicated: number;
    wrongId: number;
    unexpected: number;
    total: number;
  };
  versions: {
    aggregates: number;
    events: number;
    gapsOrDuplicates: number;
    wrongEventCount: number;
    unexpectedAggregates: number;
  };
  notifications: {
    expected: number;
    stored: number;
    exactlyOne: number;
    missing: number;
    multiple: number;
    onNonMatchingCase: number;
    openLookupFailures: number;
    resolvedLookupFailures: number;
    coveredByLookupFailure: number;
    lookupFailuresOnNotifiedCases: number;
    eventIdsOnTopic: number;
    missingOnTopic: number;
    topicMessages: number;
    maxCopiesOnTopic: number;
    extraCopiesOnTopic: number;
    orphansOnTopic: number;
    stillPendingInOutbox: number;
  };
  deadLetters: {
    expected: number;
    found: number;
    missing: number;
    extraCopies: number;
    wrongReason: number;
    badHeaders: number;
    quotesContent: number;
    validDeadLettered: number;
    unknown: number;
    total: number;
  };
}

export interface CheckResult {
  readonly counts: Counts;
  readonly violations: string[];
  /** Per broken kind (scenario 7): what its dead letter said. */
  readonly reasons: Record<string, string>;
  /** Invalid messages dead-lettered more than once: how many copies (a retried rejection sends it again). */
  readonly deadLetterCopies: Record<string, number>;
}

const sample = (ids: readonly string[], n = 5): string =>
  `${ids.slice(0, n).join(', ')}${ids.length > n ? `, … (${ids.length} in all)` : ''}`;

const eventIdOf = (m: ReadMessage): string | undefined => {
  if (m.headers['event-id']) return m.headers['event-id'];
  try {
    return (JSON.parse(m.value?.toString() ?? '') as { event_id?: string }).event_id;
  } catch {
    return undefined;
  }
};

export const checkInvariants = (messages: readonly DrivenMessage[], snap: Snapshot, options: CheckOptions): CheckResult => {
  const violations: string[] = [];
  const valid = messages.filter((m): m is ValidMessage => m.valid);
  const invalid = messages.filter((m): m is InvalidMessage => !m.valid);
  const fail = (what: string, ids: readonly string[]) => {
    if (ids.length > 0) violations.push(`${what}: ${ids.length} (${sample(ids)})`);
  };

  // ---- every valid message became exactly one case (counted by its unique client_id)
  const casesByClient = new Map<string, { id: string }[]>();
  for (const c of snap.cases) casesByClient.set(c.client_id, [...(casesByClient.get(c.client_id) ?? []), c]);
  const missingCases: string[] = [];
  const duplicatedCases: string[] = [];
  const wrongIds: string[] = [];
  let exactlyOneCase = 0;
  for (const m of valid) {
    const found = casesByClient.get(m.clientId) ?? [];
    if (found.length === 0) missingCases.push(m.messageId);
    else if (found.length > 1) duplicatedCases.push(`${m.messageId}×${found.length}`);
    else {
      exactlyOneCase += 1;
      if (found[0]!.id !== m.caseId) wrongIds.push(m.messageId);
    }
  }
  const validClients = new Set(valid.map((m) => m.clientId));
  const unexpectedCases = snap.cases.filter((c) => !validClients.has(c.client_id)).map((c) => c.client_id);
  fail('valid messages without a case', missingCases);
  fail('valid messages with more than one case', duplicatedCases);
  fail('cases whose id is not the one derived from the message-id', wrongIds);
  fail('cases that no valid message asked for', unexpectedCases);

  // ---- per aggregate the versions are 1..n without gaps or duplicates, and n is what the message implies
  const streams = new Map<string, StoredEvent[]>();
  for (const e of snap.events) streams.set(e.aggregate_id, [...(streams.get(e.aggregate_id) ?? []), e]);
  const badVersions: string[] = [];
  for (const [id, events] of streams) {
    const versions = events.map((e) => e.version).sort((a, b) => a - b);
    if (versions.some((v, i) => v !== i + 1)) badVersions.push(`${id}[${versions.join(',')}]`);
  }
  fail('aggregates whose versions are not 1..n', badVersions);

  const failuresByCase = new Map<string, { status: string }[]>();
  for (const f of snap.lookupFailures) failuresByCase.set(f.case_id, [...(failuresByCase.get(f.case_id) ?? []), f]);
  const openFailure = (caseId: string) => (failuresByCase.get(caseId) ?? []).some((f) => f.status === 'open');

  const wrongCounts: string[] = [];
  const missingNotification: string[] = [];
  const multipleNotification: string[] = [];
  const unexpectedNotification: string[] = [];
  const lookupFailuresOnNotified: string[] = [];
  let exactlyOneNotification = 0;
  let covered = 0;
  const expectedAggregates = new Set<string>();
  for (const m of valid) {
    expectedAggregates.add(m.caseId);
    const events = streams.get(m.caseId) ?? [];
    const notes = events.filter((e) => e.event_type === 'NotificationRequired').length;
    let expectedCaseEvents = m.caseEvents;
    if (m.notifies) {
      if (notes === 1) exactlyOneNotification += 1;
      else if (notes > 1) multipleNotification.push(`${m.messageId}×${notes}`);
      else if (options.allowLookupFailures && openFailure(m.caseId)) {
        covered += 1;
        expectedCaseEvents -= 1;
      } else missingNotification.push(m.messageId);
      if (notes > 0 && openFailure(m.caseId)) lookupFailuresOnNotified.push(m.messageId);
    } else if (notes > 0) unexpectedNotification.push(m.messageId);
    if (events.length !== expectedCaseEvents) wrongCounts.push(`${m.messageId}: case ${events.length}≠${expectedCaseEvents}`);
    if (m.companyId !== null) {
      expectedAggregates.add(m.companyId);
      const companyEvents = (streams.get(m.companyId) ?? []).length;
      if (companyEvents !== m.companyEvents) wrongCounts.push(`${m.messageId}: company ${companyEvents}≠${m.companyEvents}`);
    }
  }
  const unexpectedAggregates = [...streams.keys()].filter((id) => !expectedAggregates.has(id));
  fail('streams with other events than their message implies', wrongCounts);
  fail('aggregates that no valid message asked for', unexpectedAggregates);
  fail(
    'matched cases without a NotificationRequired' + (options.allowLookupFailures ? ' or an open lookup failure' : ''),
    missingNotification,
  );
  fail('cases with more than one NotificationRequired', multipleNotification);
  fail('cases with a NotificationRequired although no active rule matches', unexpectedNotification);

  // ---- every stored NotificationRequired is on the notification topic at least once
  const copies = new Map<string, number>();
  for (const n of snap.notifications) {
    const id = eventIdOf(n);
    if (id !== undefined) copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  const stored = snap.events.filter((e) => e.event_type === 'NotificationRequired');
  const storedIds = new Set(stored.map((e) => e.event_id));
  const missingOnTopic = stored.filter((e) => !copies.has(e.event_id)).map((e) => `${e.aggregate_id}/${e.event_id}`);
  const orphans = [...copies.keys()].filter((id) => !storedIds.has(id));
  fail('NotificationRequired events never published to the notification topic', missingOnTopic);
  fail('notification messages for events not in domain_events', orphans);

  // ---- every invalid message is in the dead-letter topic, with a precise reason
  const lettersById = new Map<string, ReadMessage[]>();
  for (const d of snap.deadLetters) {
    const id = d.headers['message-id'] ?? '';
    lettersById.set(id, [...(lettersById.get(id) ?? []), d]);
  }
  const missingLetters: string[] = [];
  const wrongReason: string[] = [];
  const badHeaders: string[] = [];
  const quotes: string[] = [];
  const reasons: Record<string, string> = {};
  let extraCopies = 0;
  const deadLetterCopies: Record<string, number> = {};
  for (const m of invalid) {
    const letters = lettersById.get(m.messageId) ?? [];
    if (letters.length === 0) {
      missingLetters.push(`${m.messageId}(${m.name})`);
      continue;
    }
    extraCopies += letters.length - 1;
    if (letters.length > 1) deadLetterCopies[m.messageId] = letters.length;
    const d = letters[0]!;
    const reason = d.headers['x-error-reason'] ?? '';
    reasons[m.name] = reason.length > 300 ? `${reason.slice(0, 300)}…` : reason;
    let paths: string[] = [];
    try {
      paths = (JSON.parse(d.headers['x-error-details'] ?? 'null') as { path: string }[]).map((p) => p.path);
    } catch {
      badHeaders.push(`${m.name}: x-error-details is not JSON`);
    }
    if (!reason.includes(m.reason) || !m.paths.every((p) => paths.includes(p))) {
      wrongReason.push(
        `${m.name}: got ${JSON.stringify(reason.slice(0, 200))} paths ${JSON.stringify(paths.slice(0, 6))}, want ${JSON.stringify(m.reason)} ${JSON.stringify(m.paths)}`,
      );
    }
    if (
      d.headers['x-source-topic'] !== options.sourceTopic ||
      !/^\d+$/.test(d.headers['x-source-partition'] ?? '') ||
      !/^\d+$/.test(d.headers['x-source-offset'] ?? '')
    ) {
      badHeaders.push(
        `${m.name}: source headers ${JSON.stringify({ t: d.headers['x-source-topic'], p: d.headers['x-source-partition'], o: d.headers['x-source-offset'] })}`,
      );
    }
    const sameValue =
      m.value === null ? d.value === null || d.value.length === 0 : d.value !== null && Buffer.compare(d.value, m.value) === 0;
    if (!sameValue) badHeaders.push(`${m.name}: the dead letter does not carry the original value`);
    if (reason.includes(MARKER) || (d.headers['x-error-details'] ?? '').includes(MARKER)) quotes.push(m.name);
  }
  const validIds = new Set(valid.map((m) => m.messageId));
  const invalidIds = new Set(invalid.map((m) => m.messageId));
  const reused = new Set(options.reusedIds ?? []);
  const validDeadLettered = [...lettersById.keys()].filter((id) => validIds.has(id) && !reused.has(id));
  const reuseNotRefused = [...reused].filter((id) => {
    const letters = lettersById.get(id) ?? [];
    return letters.length !== 1 || !(letters[0]!.headers['x-error-reason'] ?? '').includes(KEY_REUSED_REASON);
  });
  fail('message-ids reused for other content without exactly one dead letter saying so', reuseNotRefused);
  const unknownLetters = [...lettersById.keys()].filter((id) => !validIds.has(id) && !invalidIds.has(id));
  fail('invalid messages missing from the dead-letter topic', missingLetters);
  fail('dead letters without the expected reason or paths', wrongReason);
  fail('dead letters with wrong source headers or value', badHeaders);
  fail('dead-letter reasons that quote the message content', quotes);
  fail('valid messages that were dead-lettered', validDeadLettered);

  const counts: Counts = {
    cases: {
      valid: valid.length,
      exactlyOne: exactlyOneCase,
      missing: missingCases.length,
      duplicated: duplicatedCases.length,
      wrongId: wrongIds.length,
      unexpected: unexpectedCases.length,
      total: snap.cases.length,
    },
    versions: {
      aggregates: streams.size,
      events: snap.events.length,
      gapsOrDuplicates: badVersions.length,
      wrongEventCount: wrongCounts.length,
      unexpectedAggregates: unexpectedAggregates.length,
    },
    notifications: {
      expected: valid.filter((m) => m.notifies).length,
      stored: stored.length,
      exactlyOne: exactlyOneNotification,
      missing: missingNotification.length,
      multiple: multipleNotification.length,
      onNonMatchingCase: unexpectedNotification.length,
      openLookupFailures: snap.lookupFailures.filter((f) => f.status === 'open').length,
      resolvedLookupFailures: snap.lookupFailures.filter((f) => f.status !== 'open').length,
      coveredByLookupFailure: covered,
      lookupFailuresOnNotifiedCases: lookupFailuresOnNotified.length,
      eventIdsOnTopic: stored.filter((e) => copies.has(e.event_id)).length,
      missingOnTopic: missingOnTopic.length,
      topicMessages: snap.notifications.length,
      maxCopiesOnTopic: Math.max(0, ...copies.values()),
      extraCopiesOnTopic: [...copies.values()].reduce((s, n) => s + n - 1, 0),
      orphansOnTopic: orphans.length,
      stillPendingInOutbox: snap.outbox.length,
    },
    deadLetters: {
      expected: invalid.length,
      found: invalid.length - missingLetters.length,
      missing: missingLetters.length,
      extraCopies,
      wrongReason: wrongReason.length,
      badHeaders: badHeaders.length,
      quotesContent: quotes.length,
      validDeadLettered: validDeadLettered.length,
      unknown: unknownLetters.length,
      total: snap.deadLetters.length,
    },
  };
  return { counts, violations, reasons, deadLetterCopies };
};
