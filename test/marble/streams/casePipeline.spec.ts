import { expect } from 'chai';
import { filter, map, tap, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { idFor, idsFor } from '../../../src/domain/deterministicId.js';
import { documentRequirementId } from '../../../src/domain/decideCaseCreation.js';
import type { DomainEvent } from '../../../src/domain/events.js';
import { KEY_REUSED_REASON } from '../../../src/domain/keyReuse.js';
import { casePipeline } from '../../../src/streams/casePipeline.js';
import { consumeLoop, type LoopEvent } from '../../../src/streams/consumeLoop.js';
import { admitted, Intake } from '../../../src/streams/intake.js';
import { UnstorableInput } from '../../../src/streams/ports.js';
import type { InboundRecord } from '../../../src/streams/records.js';
import { FakePorts } from '../../support/fakePorts.js';
import { ruleAnswer } from '../steps/work.js';
import { newTestScheduler } from '../../support/marbles.js';
import { CLIENT_TOPIC, COMMAND_TOPIC, kycMessage, recordOf } from '../../support/records.js';

interface Setup {
  readonly maxActiveCases?: number;
  readonly inFlight?: number;
  readonly idleMs?: number;
  readonly commitEveryMs?: number;
  readonly onActorsChanged?: (n: number) => void;
}

/** The composed loop (credit → decode → per-case actors → completions and commits) over fake ports. */
const run = (scheduler: TestScheduler, fake: FakePorts, available: Observable<InboundRecord>, setup: Setup = {}) => {
  const intake = new Intake({ maxMessages: setup.inFlight ?? 100 });
  const pipeline = casePipeline(fake.ports, {
    topics: { clientData: CLIENT_TOPIC, commands: COMMAND_TOPIC },
    actors: { maxActiveCases: setup.maxActiveCases ?? 10, idleMs: setup.idleMs ?? 1000, scheduler },
    // the top of the jitter range: every retry waits its whole backoff delay, so times are exact
    handler: { maxConflictRetries: 3, retryInitialMs: 10, retryMaxMs: 100, scheduler, random: () => 0.9999 },
    ...(setup.onActorsChanged ? { hooks: { onActorsChanged: setup.onActorsChanged } } : {}),
  });
  const events = available.pipe(admitted(intake), consumeLoop(pipeline, { intake, commitEveryMs: setup.commitEveryMs ?? 0, scheduler }));
  return { events, intake };
};

const completedOffsets = (events: Observable<LoopEvent>) =>
  events.pipe(
    filter((e) => e.kind === 'completed'),
    map((e) => (e.kind === 'completed' ? `${e.completion.position.partition}:${e.completion.position.offset}` : '')),
  );

const commits = (events: Observable<LoopEvent>) =>
  events.pipe(
    filter((e) => e.kind === 'commit'),
    map((e) => (e.kind === 'commit' ? e.positions.map((p) => `${p.partition}@${p.offset}`).join(',') : '')),
  );

const caseIdOf = (r: InboundRecord) => idFor(`${r.topic}/${r.partition}/${r.offset}`, 'case');

/** A KYC case creation for fake ports: the record, its case and the id of its one person. */
const kycCreation = () => {
  const create = recordOf(kycMessage('c1'), { offset: 0 });
  return { fake: new FakePorts(), create, caseId: caseIdOf(create), person: idFor('kyc_events/0/0', 'person', 0) };
};

/** The command that marks a document of a case uploaded, first on the command topic. */
const uploadCommand = (case_id: string, document_requirement_id: string) =>
  recordOf(
    { command_type: 'UpdateDocumentStatus', command_id: 'cmd-2', case_id, document_requirement_id, new_status: 'UPLOADED' },
    { topic: COMMAND_TOPIC, offset: 0 },
  );

describe('the composed case pipeline', () => {
  it('applies a case creation and then a command for that case in order, even when the command arrives at once', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.appendDelay = 5;
      const create = recordOf(kycMessage('c1'), { offset: 0 });
      const person = idFor('kyc_events/0/0', 'person', 0);
      const command = recordOf(
        {
          command_type: 'DetermineDocumentRequirements',
          command_id: 'cmd-1',
          case_id: caseIdOf(create),
          entity_id: person,
          entity_type: 'PERSON',
        },
        { topic: COMMAND_TOPIC, offset: 0 },
      );
      const { events } = run(scheduler, fake, cold('(ab)', { a: create, b: command }));
      expectObservable(completedOffsets(events)).toBe('-----(aa)', { a: '0:0' });
      scheduler.flush();
      // The command found the case created before it: it adds nothing (the documents exist) and is not rejected.
      expect(fake.deadLetters).to.have.length(0);
      expect(fake.stream(caseIdOf(create)).map((e) => e.version)).to.deep.equal([1, 2, 3, 4]);
    });
  });

  it("decides a command again on the stored case before refusing it, when the case moved on behind the actor's memory", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { fake, create, caseId, person } = kycCreation();
      // What another instance appended while this one's actor still remembered the case at version 4.
      const elsewhere: DomainEvent = {
        event_id: 'appended-by-another-instance',
        event_type: 'DocumentRequirementDetermined',
        aggregate_id: caseId,
        timestamp: new Date('2026-01-01T00:00:00Z'),
        version: 5,
        payload: {
          document_requirement_id: 'doc-visa',
          case_id: caseId,
          entity_id: person,
          entity_type: 'PERSON',
          document_type: 'VISA',
          is_required: true,
        },
        metadata: { correlation_id: 'elsewhere', causation_id: 'cmd-elsewhere' },
      };
      const update = uploadCommand(caseId, 'doc-visa');
      const source = cold('a 5ms b', { a: create, b: update }).pipe(
        tap((r) => {
          if (r === update) fake.events.push(elsewhere);
        }),
      );
      run(scheduler, fake, source).events.subscribe();
      scheduler.flush();
      expect(fake.deadLetters.map((d) => d.why.reason)).to.deep.equal([]);
      expect(
        fake
          .stream(caseId)
          .map((e) => `${e.event_type}@${e.version}`)
          .slice(-2),
      ).to.deep.equal(['DocumentRequirementDetermined@5', 'DocumentStatusUpdated@6']);
    });
  });

  it('still refuses a command that the stored case does not allow either', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const fake = new FakePorts();
      const create = recordOf(kycMessage('c1'), { offset: 0 });
      const caseId = caseIdOf(create);
      const update = uploadCommand(caseId, 'doc-unknown');
      run(scheduler, fake, cold('a 5ms b', { a: create, b: update })).events.subscribe();
      scheduler.flush();
      expect(fake.deadLetters).to.have.length(1);
      expect(fake.deadLetters[0]!.why.reason).to.contain('doc-unknown');
      expect(fake.stream(caseId)).to.have.length(4);
    });
  });

  it("dead-letters a command reusing a message-id for other content, keeping the first command's events and result", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { fake, create, caseId, person } = kycCreation();
      const upload = (document_requirement_id: string, offset: number) =>
        recordOf(
          {
            command_type: 'UpdateDocumentStatus',
            command_id: 'cmd-same',
            case_id: caseId,
            document_requirement_id,
            new_status: 'UPLOADED',
          },
          { topic: COMMAND_TOPIC, offset, headers: { 'message-id': 'm-1' } },
        );
      run(
        scheduler,
        fake,
        cold('a 5ms b 5ms c', {
          a: create,
          b: upload(documentRequirementId(idsFor('kyc_events/0/0'), person, 'PASSPORT'), 0),
          c: upload(documentRequirementId(idsFor('kyc_events/0/0'), person, 'PROOF_OF_ADDRESS'), 1),
        }),
      ).events.subscribe();
      scheduler.flush();
      expect(fake.deadLetters.map((d) => [d.record.offset, d.why.reason])).to.deep.equal([['1', KEY_REUSED_REASON]]);
      expect(
        fake
          .stream(caseId)
          .map((e) => `${e.event_type}@${e.version}`)
          .slice(-1),
      ).to.deep.equal(['DocumentStatusUpdated@5']);
      expect(fake.commandResults.map((c) => [c.command_id, c.outcome])).to.deep.equal([['cmd-same', 'processed']]);
    });
  });

  it('handles one case at a time per case, and cases in parallel up to the bound and not beyond', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.appendDelay = 10;
      const records = Array.from({ length: 6 }, (_, i) => recordOf(kycMessage(`c${i}`), { offset: i }));
      const { events } = run(scheduler, fake, cold('(abcdef)', Object.fromEntries(records.map((r, i) => ['abcdef'[i]!, r]))), {
        maxActiveCases: 2,
      });
      expectObservable(completedOffsets(events)).toBe('10ms (ab) 6ms (cd) 6ms (ef)', {
        a: '0:0',
        b: '0:1',
        c: '0:2',
        d: '0:3',
        e: '0:4',
        f: '0:5',
      });
      scheduler.flush();
      expect(fake.maxActiveAppends).to.equal(2);
    });
  });

  it('keeps at most the in-flight bound of messages between the consumer and their completion', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.appendDelay = 10;
      const records = Array.from({ length: 5 }, (_, i) => recordOf(kycMessage(`c${i}`), { offset: i }));
      const taken: number[] = [];
      const { events, intake } = run(scheduler, fake, cold('(abcde)', Object.fromEntries(records.map((r, i) => ['abcde'[i]!, r]))), {
        inFlight: 2,
        maxActiveCases: 10,
      });
      const watched = events.pipe(map((e) => (taken.push(intake.messagesInFlight), e)));
      expectObservable(completedOffsets(watched)).toBe('10ms (ab) 6ms (cd) 6ms e', { a: '0:0', b: '0:1', c: '0:2', d: '0:3', e: '0:4' });
      scheduler.flush();
      expect(Math.max(...taken)).to.be.at.most(2);
      expect(fake.maxActiveAppends).to.equal(2);
    });
  });

  it('never commits past a message that is still incomplete, even when later ones finish first', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      // The first case is slow (30 ms); the next two are fast (2 ms).
      fake.appendDelay = (events) =>
        events[0]?.payload && 'client_id' in events[0].payload && events[0].payload.client_id === 'slow' ? 30 : 2;
      const r0 = recordOf(kycMessage('slow'), { offset: 0 });
      const r1 = recordOf(kycMessage('fast1'), { offset: 1 });
      const r2 = recordOf(kycMessage('fast2'), { offset: 2 });
      const { events } = run(scheduler, fake, cold('(abc)', { a: r0, b: r1, c: r2 }));
      expectObservable(commits(events)).toBe('30ms a', { a: '0@3' });
      expectObservable(completedOffsets(events)).toBe('--(bc) 24ms a', { a: '0:0', b: '0:1', c: '0:2' });
    });
  });

  it('commits each partition on its own as soon as its prefix is complete', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.appendDelay = (events) =>
        events[0]?.payload && 'client_id' in events[0].payload && events[0].payload.client_id === 'p0' ? 20 : 4;
      const a = recordOf(kycMessage('p0'), { partition: 0, offset: 7 });
      const b = recordOf(kycMessage('p1'), { partition: 1, offset: 3 });
      const { events } = run(scheduler, fake, cold('(ab)', { a, b }));
      expectObservable(commits(events)).toBe('----b 15ms a', { a: '0@8', b: '1@4' });
    });
  });

  it('releases the actor of an idle case and keeps its memory only while it is busy', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const fake = new FakePorts();
      fake.appendDelay = 1;
      const live: number[] = [];
      const r0 = recordOf(kycMessage('c0'), { offset: 0 });
      const r1 = recordOf(kycMessage('c1'), { offset: 1 });
      run(scheduler, fake, cold('a 50ms b', { a: r0, b: r1 }), { idleMs: 10, onActorsChanged: (n) => live.push(n) }).events.subscribe();
      scheduler.flush();
      expect(live).to.deep.equal([1, 0, 1, 0]);
    });
  });

  it('keeps the raw copy while the read models are written, and publishes the notification only once they are', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.now = () => scheduler.now();
      fake.ruleAnswer = ruleAnswer;
      fake.readModelDelay = 20;
      fake.rawDelay = 15;
      const { events } = run(scheduler, fake, cold('a', { a: recordOf(kycMessage('c1'), { offset: 0 }) }));
      // 20 ms, the slower of the two, not 35 ms, their sum
      expectObservable(completedOffsets(events)).toBe('20ms a', { a: '0:0' });
      scheduler.flush();
      expect(fake.effectLog).to.deep.equal(['raw copy at 15', 'read models at 20', 'published at 20']);
    });
  });

  it('dead-letters a broken message without stopping the messages behind it', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      const bad = recordOf('{"client_id": 42', { offset: 0 });
      const good = recordOf(kycMessage('c1'), { offset: 1 });
      const { events } = run(scheduler, fake, cold('(ab)', { a: bad, b: good }));
      expectObservable(commits(events)).toBe('(ab)', { a: '0@1', b: '0@2' });
      scheduler.flush();
      expect(fake.deadLetters.map((d) => d.why.reason)).to.deep.equal(['the message value is not valid JSON (at character 16)']);
      expect(fake.stream(caseIdOf(good))).to.have.length(4);
    });
  });

  it('retries an infrastructure failure with backoff and completes the message without losing or doubling it', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.failNextAppends = 2;
      const r = recordOf(kycMessage('c1'), { offset: 0 });
      const { events } = run(scheduler, fake, cold('a', { a: r }));
      // Two failures: waits 10 ms, then 20 ms, then succeeds.
      expectObservable(completedOffsets(events)).toBe('30ms a', { a: '0:0' });
      scheduler.flush();
      expect(fake.stream(caseIdOf(r))).to.have.length(4);
    });
  });

  it('dead-letters a message the database refuses for good, instead of retrying it forever', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.refuseAppendsWith = new UnstorableInput('event append failed: nested arrays are not supported (code 2)');
      const r = recordOf(kycMessage('c1'), { offset: 0 });
      const { events } = run(scheduler, fake, cold('a', { a: r }));
      expectObservable(commits(events)).toBe('a', { a: '0@1' });
      scheduler.flush();
      expect(fake.deadLetters.map((d) => d.why.reason)).to.deep.equal([
        'the message could not be stored: event append failed: nested arrays are not supported (code 2)',
      ]);
      expect([...fake.rawEvents.values()].map((e) => e.status)).to.deep.equal(['rejected']);
    });
  });

  it('keeps a message the database refuses even as a raw copy in the dead-letter topic alone, and goes on', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fake = new FakePorts();
      fake.refuseRawWith = new UnstorableInput('raw event record failed: invalid value (code 2)');
      const r = recordOf(kycMessage('c1'), { offset: 0 });
      const { events } = run(scheduler, fake, cold('a', { a: r }));
      expectObservable(commits(events)).toBe('a', { a: '0@1' });
      scheduler.flush();
      expect(fake.deadLetters.map((d) => d.why.reason)).to.deep.equal([
        'the message could not be stored: raw event record failed: invalid value (code 2)',
      ]);
      expect(fake.rawEvents.size).to.equal(0);
    });
  });

  it('neither publishes nor re-queues the notification of a client message sent again while its actor remembers the case (a producer retry)', () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const fake = new FakePorts();
      fake.ruleAnswer = ruleAnswer;
      const sent = (offset: number) => recordOf(kycMessage('c1'), { offset, headers: { 'message-id': 'msg-1' } });
      run(scheduler, fake, cold('a 5ms b', { a: sent(0), b: sent(1) })).events.subscribe();
      scheduler.flush();
      const caseId = idFor('msg-1', 'case');
      const notifications = fake.stream(caseId).filter((e) => e.event_type === 'NotificationRequired');
      expect(notifications.map((n) => n.version)).to.deep.equal([5]);
      expect(fake.published.map((n) => n.event_id)).to.deep.equal([notifications[0]!.event_id]);
      expect(fake.requeued).to.deep.equal([]);
    });
  });

  describe('a message delivered again after its actor forgot the case (a crash after its append)', () => {
    const creation = (offset: number) => recordOf(kycMessage('c1'), { offset, headers: { 'message-id': 'msg-1' } });
    const caseId = idFor('msg-1', 'case');
    const documentId = documentRequirementId(idsFor('msg-1'), idFor('msg-1', 'person', 0), 'PASSPORT');
    const command = (body: Record<string, unknown>, offset: number) =>
      recordOf({ case_id: caseId, ...body }, { topic: COMMAND_TOPIC, offset, headers: { 'message-id': String(body.command_id) } });
    const upload = (offset: number) =>
      command(
        { command_type: 'UpdateDocumentStatus', command_id: 'cmd-upload', document_requirement_id: documentId, new_status: 'UPLOADED' },
        offset,
      );

    it('projects again, as stored, the change of a command whose read-model write a crash lost, and re-reads nothing on first deliveries', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold }) => {
        const fake = new FakePorts();
        const source = cold('a 5ms b 2000ms c', { a: creation(0), b: upload(0), c: upload(1) }).pipe(
          tap((r) => {
            if (r.topic !== COMMAND_TOPIC || r.offset !== '1') return;
            // the crash: the upload is stored, its projection lost
            const documents = fake.readModels.collections.get('document_requirements')!;
            documents.set(documentId, { ...documents.get(documentId), status: 'AWAITING_UPLOAD', applied: { case: 4 } });
          }),
        );
        run(scheduler, fake, source).events.subscribe();
        scheduler.flush();
        expect(fake.readModels.get('document_requirements', documentId)).to.deep.include({ status: 'UPLOADED', applied: { case: 5 } });
        expect(fake.eventsRead, 'only the redelivery reads its stored event back').to.deep.equal([
          { aggregate_id: caseId, first: 5, last: 5 },
        ]);
        expect(fake.stream(caseId)).to.have.length(5);
        expect(fake.commandResults.map((c) => [c.command_id, c.outcome])).to.deep.equal([
          ['cmd-upload', 'processed'],
          ['cmd-upload', 'processed'],
        ]);
      });
    });

    it('re-queues the stored notification of a creation, though no rule matches now, and re-projects its stored events; publishes nothing itself', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold }) => {
        const fake = new FakePorts();
        fake.ruleAnswer = ruleAnswer;
        const source = cold('a 2000ms b', { a: creation(0), b: creation(1) }).pipe(
          tap((r) => {
            if (r.offset === '1') fake.ruleAnswer = { kind: 'no-rule' };
          }),
        );
        run(scheduler, fake, source).events.subscribe();
        scheduler.flush();
        const [notification] = fake.stream(caseId).filter((e) => e.event_type === 'NotificationRequired');
        expect(notification!.version).to.equal(5);
        expect(fake.published.map((n) => n.event_id)).to.deep.equal([notification!.event_id]);
        expect(fake.requeued).to.deep.equal([{ event_id: notification!.event_id, aggregate_id: caseId, version: 5 }]);
        expect(fake.eventsRead).to.deep.equal([{ aggregate_id: caseId, first: 1, last: 5 }]);
        expect(fake.stream(caseId)).to.have.length(5);
      });
    });

    it('re-queues the notification of a creation at the version a retried lookup recorded it, after other commands', () => {
      const scheduler = newTestScheduler();
      scheduler.run(({ cold }) => {
        const fake = new FakePorts();
        fake.ruleAnswer = { kind: 'unavailable', reason: 'HTTP 503' };
        const retry = command(
          { command_type: 'RetryNotificationLookup', command_id: 'retry-1', trigger: 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD' },
          1,
        );
        const source = cold('a 5ms b 5ms c 2000ms d', { a: creation(0), b: upload(0), c: retry, d: creation(1) }).pipe(
          tap((r) => {
            if (r === retry) fake.ruleAnswer = ruleAnswer;
          }),
        );
        run(scheduler, fake, source).events.subscribe();
        scheduler.flush();
        const [notification] = fake.stream(caseId).filter((e) => e.event_type === 'NotificationRequired');
        expect(notification!.version, 'after the upload').to.equal(6);
        expect(fake.requeued).to.deep.equal([{ event_id: notification!.event_id, aggregate_id: caseId, version: 6 }]);
        expect(fake.published.map((n) => n.event_id)).to.deep.equal([notification!.event_id]);
        expect(fake.stream(caseId)).to.have.length(6);
      });
    });
  });

  it("retries a failed rule lookup in the case's actor: the notification the creation missed, recorded and published once, the failure closed", () => {
    const scheduler = newTestScheduler();
    scheduler.run(({ cold }) => {
      const { fake, create, caseId } = kycCreation();
      fake.ruleAnswer = { kind: 'unavailable', reason: 'HTTP 503' };
      const trigger = 'CASE_CREATED_KYC_INDIVIDUAL_STANDARD';
      const retry = (offset: number) =>
        recordOf(
          { command_type: 'RetryNotificationLookup', command_id: `retry-${offset}`, case_id: caseId, trigger },
          { topic: COMMAND_TOPIC, offset },
        );
      const [first, second] = [retry(0), retry(1)];
      const source = cold('a 5ms b 5ms c', { a: create, b: first, c: second }).pipe(
        tap((r) => {
          if (r === first) fake.ruleAnswer = ruleAnswer;
        }),
      );
      run(scheduler, fake, source).events.subscribe();
      scheduler.flush();
      const notificationId = idFor('kyc_events/0/0', 'notification');
      expect(fake.lookupFailures.map((f) => [f.case_id, f.trigger])).to.deep.equal([[caseId, trigger]]);
      expect(
        fake
          .stream(caseId)
          .filter((e) => e.event_type === 'NotificationRequired')
          .map((e) => [e.event_id, e.version, e.metadata.causation_id]),
      ).to.deep.equal([[notificationId, 5, 'retry-0']]);
      expect(fake.published.map((n) => n.event_id)).to.deep.equal([notificationId]);
      expect(fake.requeued, 'the second retry finds it recorded, by an actor that remembers it: not sent again').to.deep.equal([]);
      expect(fake.lookupResolutions.map((r) => [r.case_id, r.outcome])).to.deep.equal([
        [caseId, 'notified'],
        [caseId, 'already-notified'],
      ]);
      expect(fake.commandResults.map((c) => [c.command_id, c.outcome, c.event_ids])).to.deep.equal([
        ['retry-0', 'processed', [notificationId]],
        ['retry-1', 'processed', []],
      ]);
      expect(fake.deadLetters).to.have.length(0);
    });
  });
});
