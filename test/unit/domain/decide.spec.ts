import { expect } from 'chai';
import { emptyCase, evolveCase } from '../../../src/domain/caseState.js';
import type { CaseCommandWithContext } from '../../../src/domain/commands.js';
import { decide } from '../../../src/domain/decide.js';
import { documentRequirementId } from '../../../src/domain/decideCaseCreation.js';
import { isEventOf, type DomainEvent } from '../../../src/domain/events.js';
import { KEY_REUSED_REASON } from '../../../src/domain/keyReuse.js';
import { contentOf, creationCommand, found, leftOf, rawKycMessage, rightOf, welcomeRule } from './fixtures.js';

const rule = welcomeRule;
const T1 = new Date('2024-04-02T08:00:00.000Z');

const created = creationCommand(rawKycMessage(), 'msg-1');
const createdEvents = rightOf(decide(emptyCase(created.case_id), created, null));
const stored = evolveCase(emptyCase(created.case_id), createdEvents);
const passport = documentRequirementId(created.ids, createdEvents.find(isEventOf('PersonAddedToCase'))!.payload.person_id, 'PASSPORT');

/** An UpdateDocumentStatus of the passport sent under `key`, whose content is what it asks for. */
const upload = (key: string, new_status: 'UPLOADED' | 'VERIFIED_MANUAL', note: string): CaseCommandWithContext => {
  const body = {
    command_type: 'UpdateDocumentStatus' as const,
    command_id: `cmd-${key}`,
    case_id: created.case_id,
    document_requirement_id: passport,
    new_status,
    updated_by_actor_type: null,
    updated_by_actor_id: null,
    metadata_changes: {},
    notes_to_add: [note],
  };
  return { ...body, key, content_hash: contentOf(body), timestamp: T1 };
};

const withoutContentHashes = (events: readonly DomainEvent[]): DomainEvent[] =>
  events.map(
    (e) => ({ ...e, metadata: { correlation_id: e.metadata.correlation_id, causation_id: e.metadata.causation_id } }) as DomainEvent,
  );

describe('decide, with idempotency keys bound to content', () => {
  describe('a client-data message', () => {
    it("creates the case the first time, every event carrying the message's content hash", () => {
      expect(createdEvents.map((e) => e.metadata.content_hash)).to.deep.equal(createdEvents.map(() => created.content_hash));
    });

    it('records nothing new when the same message is delivered again', () => {
      expect(rightOf(decide(stored, created, null))).to.deep.equal([]);
    });

    it('still decides only the notification that is missing when the same message comes again with a rule', () => {
      const again = rightOf(decide(stored, created, found(rule)));
      expect(again.map((e) => `${e.event_type}@${e.version}`)).to.deep.equal([`NotificationRequired@${stored.version + 1}`]);
    });

    it('refuses another message under the same message-id, naming the header, and records nothing', () => {
      const other = creationCommand({ ...rawKycMessage(), client_id: 'someone-else' }, 'msg-1');
      expect(other.case_id).to.equal(created.case_id);
      const why = leftOf(decide(stored, other, found(rule)));
      expect(why.reason).to.equal(KEY_REUSED_REASON);
      expect(why.details).to.deep.equal([{ path: 'headers.message-id', rule: 'must not be reused for a message with different content' }]);
    });

    it('accepts a redelivery onto a case stored before keys were bound to content (no hash known)', () => {
      const legacy = evolveCase(emptyCase(created.case_id), withoutContentHashes(createdEvents));
      const other = creationCommand({ ...rawKycMessage(), client_id: 'someone-else' }, 'msg-1');
      expect(rightOf(decide(legacy, other, null))).to.deep.equal([]);
    });
  });

  describe('a case command', () => {
    const first = upload('upload-1', 'UPLOADED', 'first scan');
    const afterFirst = evolveCase(stored, rightOf(decide(stored, first, null)));

    it('records nothing when the same command is delivered again, even after the case moved on', () => {
      const verified = evolveCase(afterFirst, rightOf(decide(afterFirst, upload('verify-1', 'VERIFIED_MANUAL', 'checked'), null)));
      expect(verified.documents.get(passport)!.status).to.equal('VERIFIED_MANUAL');
      expect(rightOf(decide(verified, first, null))).to.deep.equal([]);
    });

    it('refuses another command under a message-id the case has recorded, and records nothing', () => {
      const why = leftOf(decide(afterFirst, upload('upload-1', 'VERIFIED_MANUAL', 'a different request'), null));
      expect(why.reason).to.equal(KEY_REUSED_REASON);
    });

    it("refuses a command that reuses the message-id of the case's creation for other content", () => {
      expect(leftOf(decide(afterFirst, upload('msg-1', 'VERIFIED_MANUAL', 'sneaky'), null)).reason).to.equal(KEY_REUSED_REASON);
    });

    it('decides a command under a new message-id as usual', () => {
      const events = rightOf(decide(afterFirst, upload('verify-2', 'VERIFIED_MANUAL', 'checked'), null));
      expect(events.map((e) => `${e.event_type}@${e.version}`)).to.deep.equal([`DocumentStatusUpdated@${afterFirst.version + 1}`]);
    });
  });
});
