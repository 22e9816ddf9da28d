import { expect } from 'chai';
import { expectations, WORK_FIELDS } from '../../../bench/common/oracle.js';
import { RULES_FILE } from '../../../bench/common/paths.js';
import { storedWork } from '../../../bench/common/storedDocuments.js';
import { generateWorkload } from '../../../bench/common/workload.js';
import { positionId } from '../../../src/infra/mongo/eventStore.js';
import { loadRulesFile } from '../../../tools/config-service-stub/stub.js';

describe("the bench's limit documents (what casestream stores per message)", () => {
  const rules = loadRulesFile(RULES_FILE);
  const workload = generateWorkload({ messages: 300, commandShare: 0.2, seed: 7, partitions: 3, rules });
  const expected = expectations(workload, rules);
  const stored = storedWork(workload, rules);
  const count = (messageId: string, collection: string) => stored.get(messageId)?.inserts.get(collection)?.length ?? 0;

  it('has as many documents, updates and notifications per message and collection as the oracle counts', () => {
    expect(stored.size).to.equal(workload.messages.length);
    for (const m of workload.messages) {
      const work = expected.perMessage[m.index]!;
      const mine = stored.get(m.messageId)!;
      for (const field of WORK_FIELDS) {
        if (field === 'updates') expect(mine.updates.length, `${m.messageId} updates`).to.equal(work.updates);
        else if (field === 'notifications') expect(mine.notifications.length, `${m.messageId} notifications`).to.equal(work.notifications);
        else if (field !== 'dead_letters')
          expect(count(m.messageId, field === 'events' ? 'domain_events' : field), `${m.messageId} ${field}`).to.equal(work[field]);
      }
    }
    expect(workload.messages.some((m) => expected.perMessage[m.index]!.updates > 0)).to.equal(true);
  });

  it('stores events as the event store does, at their stream positions with payload and metadata', () => {
    const client = workload.messages.find((m) => m.kind === 'client')!;
    const events = stored.get(client.messageId)!.inserts.get('domain_events')!;
    expect(events.map((e) => e._id)).to.deep.equal(events.map((e) => positionId(e.aggregate_id as string, e.version as number)));
    expect(events[0]).to.include.keys('event_id', 'event_type', 'timestamp', 'payload', 'metadata');
  });

  it("keeps a client message's raw copy as the parsed message, and publishes notifications keyed by case with their event id", () => {
    const notified = workload.messages.find((m) => m.kind === 'client' && m.notifies)!;
    const work = stored.get(notified.messageId)!;
    expect(work.inserts.get('raw_events')![0]!.payload).to.deep.equal(JSON.parse(notified.value.toString('utf8')));
    expect(work.notifications[0]!.key).to.equal(notified.caseId);
    expect(expected.notificationIndex.get(String(work.notifications[0]!.headers!['event-id']))).to.equal(notified.index);
  });

  it("records a follow-up command's result under its command id", () => {
    const command = workload.messages.find((m) => m.kind === 'command')!;
    const [result] = stored.get(command.messageId)!.inserts.get('command_results')!;
    expect(result!._id).to.equal((JSON.parse(command.value.toString('utf8')) as { command_id: string }).command_id);
  });
});
