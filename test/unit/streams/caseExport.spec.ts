import { expect } from 'chai';
import { CASE_EXPORT_FORMAT } from '../../../src/domain/caseExport.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import { ERASED } from '../../../src/domain/personalData.js';
import { exportCase, type CaseExportReads, type CaseReadModels } from '../../../src/streams/caseExport.js';
import { caseStream, type Step } from '../../support/caseStreams.js';

type Json = Record<string, unknown>;

const EXPORTED_AT = new Date('2026-03-04T05:06:07.008Z');
const at = (version: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, version));

const envelope = (aggregate_id: string, version: number) => ({
  event_id: `${aggregate_id}-e${version}`,
  aggregate_id,
  timestamp: at(version),
  version,
  metadata: { correlation_id: `key-${version}`, causation_id: `command-${version}`, content_hash: `hash-${version}` },
});

const provenance = {
  trigger: 'CASE_CREATED_KYB_STANDARD',
  rule_id: 'WELCOME',
  rule_version: 2,
  source: 'fresh',
  answer_source: 'fresh',
  fetched_at: '2026-01-01T00:00:00.000Z',
};

/** A KYB case as the stores hold it once its first person was erased, held and released in between. */
const kybCase: DomainEvent[] = [
  {
    ...envelope('c1', 1),
    event_type: 'CaseCreated',
    payload: { client_id: 'client-1', case_type: 'STANDARD', case_version: '1.0', traitement_type: 'KYB', company_id: 'co1' },
  },
  {
    ...envelope('c1', 2),
    event_type: 'PersonAddedToCase',
    payload: { person_id: 'p1', firstname: ERASED, lastname: ERASED, birthdate: null, role_in_company: 'DIRECTOR' },
  },
  {
    ...envelope('c1', 3),
    event_type: 'NotificationRequired',
    payload: {
      notification_type: 'EMAIL',
      recipient_details: { case_id: 'c1', client_id: 'client-1', primary_contact_name: ERASED },
      template_id: 'WELCOME_V1',
      language_code: 'en',
      context_data: { case_id: 'c1', client_name: ERASED, case_type: 'STANDARD', traitement_type: 'KYB' },
      provenance,
    },
  } as DomainEvent,
  { ...envelope('c1', 4), event_type: 'LegalHoldPlaced', payload: { reason: 'investigation 17', placed_by: 'legal-bob' } },
  { ...envelope('c1', 5), event_type: 'LegalHoldLifted', payload: { reason: 'closed', lifted_by: 'legal-bob' } },
  {
    ...envelope('c1', 6),
    event_type: 'PersonalDataErased',
    payload: { subject: { kind: 'person', id: 'p1' }, reason: 'GDPR #1', requested_by: 'dpo-alice', fields: ['firstname'] },
  },
];

const company: DomainEvent[] = [
  {
    ...envelope('co1', 1),
    event_type: 'CompanyProfileCreated',
    payload: { case_id: 'c1', registered_name: 'Export Ltd', registration_number: 'E-1', country_of_incorporation: 'GB' },
  } as unknown as DomainEvent,
  {
    ...envelope('co1', 2),
    event_type: 'PersonLinkedToCompany',
    payload: { case_id: 'c1', person_id: 'p1', firstname: ERASED, lastname: ERASED, birthdate: null, role_in_company: 'DIRECTOR' },
  },
];

const models: CaseReadModels = {
  case: { id: 'c1', client_id: 'client-1', status: 'OPEN', company_id: 'co1' },
  persons: [{ id: 'p1', case_id: 'c1', firstname: ERASED, lastname: ERASED, birthdate: null }],
  document_requirements: [{ id: 'd1', case_id: 'c1', status: 'AWAITING_UPLOAD' }],
  company: { id: 'co1', registered_name: 'Export Ltd' },
  beneficial_owners: [{ id: 'b1', company_id: 'co1', firstname: 'Barbara' }],
};

/** Reads of the given streams and read models, each call logged in order. */
const fakeReads = (streams: Record<string, readonly DomainEvent[]>, unpublished: readonly string[] = []) => {
  const log: string[] = [];
  const reads: CaseExportReads = {
    events: async (aggregate_id, from, limit) => {
      log.push(`events ${aggregate_id} ${from}+${limit}`);
      return (streams[aggregate_id] ?? []).slice(from - 1, from - 1 + limit);
    },
    readModels: async (case_id, company_id) => {
      log.push(`read models ${case_id} ${company_id}`);
      return company_id === null ? { ...models, company: undefined, beneficial_owners: [] } : models;
    },
    unpublishedNotifications: async (case_id) => {
      log.push(`outbox ${case_id}`);
      return new Set(unpublished);
    },
  };
  return { reads, log };
};

const exported = async (reads: CaseExportReads, case_id = 'c1', pageSize?: number): Promise<Json> => {
  const lines = await exportCase(reads, case_id, { exported_at: EXPORTED_AT, ...(pageSize ? { pageSize } : {}) });
  if (lines === undefined) throw new Error('no export');
  const chunks: string[] = [];
  for await (const chunk of lines) chunks.push(chunk);
  return JSON.parse(chunks.join('\n')) as Json;
};

/** An event as the export writes it: the envelope in its documented order, timestamps as ISO-8601. */
const asJson = (e: DomainEvent): Json => JSON.parse(JSON.stringify(e)) as Json;

describe('the evidence export of a case', () => {
  it('is one JSON document: its format, the read models, the company with its stream, and every event of the case with its envelope in version order', async () => {
    const doc = await exported(fakeReads({ c1: kybCase, co1: company }).reads);
    expect(Object.keys(doc)).to.deep.equal([
      'format',
      'exported_at',
      'case_id',
      'case',
      'persons',
      'beneficial_owners',
      'document_requirements',
      'company',
      'events',
      'notifications',
      'legal_holds',
      'erasures',
      'closure',
    ]);
    expect(doc).to.deep.include({
      format: CASE_EXPORT_FORMAT,
      exported_at: EXPORTED_AT.toISOString(),
      case_id: 'c1',
      case: models.case,
      persons: models.persons,
      beneficial_owners: models.beneficial_owners,
      document_requirements: models.document_requirements,
      company: { company_id: 'co1', read_model: models.company, events: company.map(asJson) },
      events: kybCase.map(asJson),
    });
    const events = doc.events as Json[];
    expect(Object.keys(events[0]!)).to.deep.equal([
      'event_id',
      'event_type',
      'aggregate_id',
      'timestamp',
      'version',
      'payload',
      'metadata',
    ]);
  });

  it('lists what the events record: the notification with its provenance, the hold placed and lifted, the erasure, and no closing while the case is open', async () => {
    const doc = await exported(fakeReads({ c1: kybCase, co1: company }).reads);
    expect(doc.notifications).to.deep.equal([{ ...asJson(kybCase[2]!), published: true }]);
    expect((doc.notifications as Json[])[0]!.payload).to.deep.include({ provenance });
    expect(doc.legal_holds).to.deep.equal([
      { action: 'placed', at: at(4).toISOString(), by: 'legal-bob', reason: 'investigation 17', event_id: 'c1-e4', version: 4 },
      { action: 'lifted', at: at(5).toISOString(), by: 'legal-bob', reason: 'closed', event_id: 'c1-e5', version: 5 },
    ]);
    expect(doc.erasures).to.deep.equal([
      {
        at: at(6).toISOString(),
        by: 'dpo-alice',
        reason: 'GDPR #1',
        event_id: 'c1-e6',
        version: 6,
        subject: { kind: 'person', id: 'p1' },
        fields: ['firstname'],
      },
    ]);
    expect(doc.closure).to.equal(null);
  });

  it('marks a notification the outbox still holds as not published, reading the outbox only once every event is read', async () => {
    const { reads, log } = fakeReads({ c1: kybCase, co1: company }, ['c1-e3']);
    const doc = await exported(reads);
    expect((doc.notifications as Json[]).map((n) => n.published)).to.deep.equal([false]);
    const lastEventsRead = Math.max(...log.flatMap((l, i) => (l.startsWith('events ') ? [i] : [])));
    expect(log.indexOf('outbox c1')).to.be.greaterThan(lastEventsRead);
  });

  it('exports a case without a company with company null, reading no company stream', async () => {
    const kyc = caseStream('c2', [
      ['close', 0, 0, true],
      ['hold', 0, 0, true],
    ]);
    expect((kyc[0]!.payload as Json).company_id).to.equal(null);
    const { reads, log } = fakeReads({ c2: kyc });
    const doc = await exported(reads, 'c2');
    expect(doc).to.deep.include({ company: null, beneficial_owners: [] });
    expect(doc.closure).to.deep.equal({
      at: kyc[1]!.timestamp.toISOString(),
      by: 'agent',
      reason: 'done',
      event_id: 'c2-event-2',
      version: 2,
    });
    expect(log.filter((l) => l.startsWith('events ') && !l.startsWith('events c2 '))).to.deep.equal([]);
  });

  it('finds no case for an id without events or whose stream is not a case (a company)', async () => {
    const { reads } = fakeReads({ c1: kybCase, co1: company });
    expect(await exportCase(reads, 'nobody', { exported_at: EXPORTED_AT })).to.equal(undefined);
    expect(await exportCase(reads, 'co1', { exported_at: EXPORTED_AT })).to.equal(undefined);
  });

  it('reads a long stream a page at a time, in order, never more than two pages ahead of what is written', async () => {
    const kinds = ['person', 'document', 'status'] as const;
    const long = caseStream(
      'c3',
      Array.from({ length: 999 }, (_, i): Step => [kinds[i % 3]!, i, 0, true]),
    );
    let read = 0;
    const reads: CaseExportReads = {
      ...fakeReads({ c3: long }).reads,
      events: async (aggregate_id, from, limit) => {
        expect(limit).to.equal(50);
        const page = long.slice(from - 1, from - 1 + limit);
        read += page.length;
        return page;
      },
    };
    const lines = await exportCase(reads, 'c3', { exported_at: EXPORTED_AT, pageSize: 50 });
    let written = 0;
    const chunks: string[] = [];
    for await (const chunk of lines!) {
      chunks.push(chunk);
      written += chunk.match(/"event_id"/g)?.length ?? 0;
      expect(read - written, `after ${chunks.length} chunks`).to.be.at.most(2 * 50);
    }
    expect((JSON.parse(chunks.join('\n')) as Json).events).to.deep.equal(long.map(asJson));
  });
});
