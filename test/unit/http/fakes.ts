import type { CaseCommand } from '../../../src/domain/caseCommand.js';
import type { HttpLogger } from '../../../src/infra/http/api.js';
import type { CommandPublisher } from '../../../src/infra/http/commandPublisher.js';
import { claimOf, type CommandStatusView, type IdempotencyClaim } from '../../../src/infra/mongo/commandResults.js';
import {
  toApiNotification,
  type ApiDocument,
  type ApiQueries,
  type DocumentRequirementFilter,
  type Page,
} from '../../../src/infra/mongo/caseQueries.js';

/** In-memory ApiQueries that records how it was asked. */
export class FakeQueries implements ApiQueries {
  cases: ApiDocument[] = [];
  events: ApiDocument[] = [];
  persons: ApiDocument[] = [];
  companies: ApiDocument[] = [];
  owners: ApiDocument[] = [];
  documents: ApiDocument[] = [];
  raw: ApiDocument[] = [];
  /** Ids of the notifications among `events` that Kafka has not acknowledged (the outbox). */
  pendingNotifications = new Set<string>();
  commands = new Map<string, { case_id: string; view: CommandStatusView }>();
  idempotencyKeys = new Map<string, { request_hash: string; command_id: string }>();
  readonly calls: { name: string; args: unknown[] }[] = [];
  /** When set, every query throws it. */
  failWith: Error | undefined;

  private note(name: string, ...args: unknown[]): void {
    this.calls.push({ name, args });
    if (this.failWith) throw this.failWith;
  }

  async listCases(page: Page) {
    this.note('listCases', page);
    return this.cases.slice(page.skip, page.skip + page.limit);
  }
  async getCase(id: string) {
    this.note('getCase', id);
    return this.cases.find((c) => c.id === id);
  }
  async caseEvents(id: string) {
    this.note('caseEvents', id);
    return this.events.filter((e) => e.aggregate_id === id);
  }
  async caseNotifications(id: string, page: Page) {
    this.note('caseNotifications', id, page);
    const stream = this.events.filter((e) => e.aggregate_id === id);
    if (stream.length === 0) return undefined; // no event: no case
    return stream
      .filter((e) => e.event_type === 'NotificationRequired')
      .slice(page.skip, page.skip + page.limit)
      .map((e) => toApiNotification(e, !this.pendingNotifications.has(String(e.event_id))));
  }
  async personsOfCase(id: string) {
    this.note('personsOfCase', id);
    return this.persons.filter((p) => p.case_id === id);
  }
  async getCompany(id: string) {
    this.note('getCompany', id);
    return this.companies.find((c) => c.id === id);
  }
  async beneficialOwners(id: string) {
    this.note('beneficialOwners', id);
    return this.owners.filter((o) => o.company_id === id);
  }
  async getDocumentRequirement(id: string) {
    this.note('getDocumentRequirement', id);
    return this.documents.find((d) => d.id === id);
  }
  async documentRequirementsOfCase(id: string, filter: DocumentRequirementFilter) {
    this.note('documentRequirementsOfCase', id, filter);
    return this.documents.filter((d) => d.case_id === id && Object.entries(filter).every(([k, v]) => d[k] === v));
  }
  async rawEvents(page: Page) {
    this.note('rawEvents', page);
    return this.raw.slice(page.skip, page.skip + page.limit);
  }
  async accept(command_id: string, case_id: string) {
    this.note('accept', command_id, case_id);
    this.commands.set(command_id, { case_id, view: { status: 'pending' } });
  }
  async forget(command_id: string) {
    this.note('forget', command_id);
    this.commands.delete(command_id);
  }
  async status(command_id: string) {
    this.note('status', command_id);
    return this.commands.get(command_id)?.view;
  }
  async claimIdempotencyKey(key: string, request_hash: string, command_id: string): Promise<IdempotencyClaim> {
    this.note('claimIdempotencyKey', key, request_hash, command_id);
    const stored = this.idempotencyKeys.get(key);
    if (stored !== undefined) return claimOf(stored, request_hash);
    this.idempotencyKeys.set(key, { request_hash, command_id });
    return { kind: 'claimed' };
  }
  async releaseIdempotencyKey(key: string, command_id: string) {
    this.note('releaseIdempotencyKey', key, command_id);
    if (this.idempotencyKeys.get(key)?.command_id === command_id) this.idempotencyKeys.delete(key);
  }
}

/** Records published commands; fails while `failWith` is set. */
export class FakePublisher implements CommandPublisher {
  readonly published: CaseCommand[] = [];
  failWith: Error | undefined;
  async publish(command: CaseCommand): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push(command);
  }
}

/** A logger that keeps every call. */
export class RecordingLogger implements HttpLogger {
  readonly lines: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string) {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string) {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string) {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string) {
    this.lines.push({ level: 'error', obj, msg });
  }
}
