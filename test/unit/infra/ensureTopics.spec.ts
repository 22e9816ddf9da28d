import { expect } from 'chai';
import type { Admin, Kafka } from 'kafkajs';
import sinon from 'sinon';
import { createTopicsAndWait, ensureTopics, topicConfigDifferences } from '../../../src/infra/kafka/ensureTopics.js';
import { topicConfigs } from '../../../src/retention.js';

const notYet = () => Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
const led = (topic: string, leader = 1) => ({
  name: topic,
  partitions: [0, 1].map((partitionId) => ({ partitionId, leader, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] })),
});

const adminWith = (existing: string[], metadata: sinon.SinonStub, offsets: sinon.SinonStub = sinon.stub().resolves([])) =>
  ({
    listTopics: sinon.stub().resolves(existing),
    createTopics: sinon.stub().resolves(true),
    fetchTopicMetadata: metadata,
    fetchTopicOffsets: offsets,
  }) as unknown as Admin & {
    createTopics: sinon.SinonStub;
  };

describe('createTopicsAndWait', () => {
  it('creates only the missing topics and returns them once every partition has a leader', async () => {
    const metadata = sinon.stub().resolves({ topics: [led('b')] });
    const admin = adminWith(['a'], metadata);

    expect(await createTopicsAndWait(admin, ['a', 'b', 'b'], 2, { pollMs: 1 })).to.deep.equal(['b']);
    expect(admin.createTopics.firstCall.args[0].topics).to.deep.equal([{ topic: 'b', numPartitions: 2, replicationFactor: -1 }]);
    expect(metadata.firstCall.args[0]).to.deep.equal({ topics: ['b'] });
  });

  it('creates nothing and waits for nothing when every topic exists', async () => {
    const metadata = sinon.stub();
    const admin = adminWith(['a', 'b'], metadata);

    expect(await createTopicsAndWait(admin, ['a', 'b'], 2)).to.deep.equal([]);
    expect(admin.createTopics.called).to.equal(false);
    expect(metadata.called).to.equal(false);
  });

  it('keeps waiting while a restarted broker does not know the new topic yet, or it has no leader', async () => {
    const metadata = sinon.stub();
    metadata.onCall(0).rejects(notYet());
    metadata.onCall(1).resolves({ topics: [led('b', -1)] });
    metadata.onCall(2).resolves({ topics: [led('b')] });

    expect(await createTopicsAndWait(adminWith([], metadata), ['b'], 2, { pollMs: 1 })).to.deep.equal(['b']);
    expect(metadata.callCount).to.equal(3);
  });

  it('fails at once on any other error, and after the timeout when the leaders never come', async () => {
    const broken = sinon.stub().rejects(Object.assign(new Error('not authorized'), { type: 'TOPIC_AUTHORIZATION_FAILED' }));
    await createTopicsAndWait(adminWith([], broken), ['b'], 2, { pollMs: 1 }).then(
      () => expect.fail('should have failed'),
      (error: Error) => expect(error.message).to.equal('not authorized'),
    );

    const leaderless = sinon.stub().resolves({ topics: [led('b', -1)] });
    await createTopicsAndWait(adminWith([], leaderless), ['b'], 2, { pollMs: 1, timeoutMs: 20 }).then(
      () => expect.fail('should have timed out'),
      (error: Error) => expect(error.message).to.match(/topics b have no leader for every partition after 20 ms/),
    );
  });

  it("keeps waiting while a new partition's named leader does not answer for its offsets yet", async () => {
    const metadata = sinon.stub().resolves({ topics: [led('b')] });
    const notLeader = Object.assign(new Error('This server is not the leader for that topic-partition'), {
      type: 'NOT_LEADER_FOR_PARTITION',
    });
    const offsets = sinon.stub();
    offsets.onCall(0).rejects(notLeader);
    offsets.onCall(1).rejects(Object.assign(new Error('retries exhausted'), { originalError: notLeader }));
    offsets.onCall(2).resolves([{ partition: 0, offset: '0' }]);

    expect(await createTopicsAndWait(adminWith([], metadata, offsets), ['b'], 2, { pollMs: 1 })).to.deep.equal(['b']);
    expect(offsets.callCount).to.equal(3);
    expect(offsets.alwaysCalledWithExactly('b')).to.equal(true);
  });

  it('creates the dead-letter topic with its retention, and the other topics with the broker defaults', async () => {
    const metadata = sinon.stub().resolves({ topics: [led('dlq'), led('in')] });
    const admin = adminWith([], metadata);
    const configs = topicConfigs('dlq', { deadLetterTopicMs: 86_400_000 });

    await createTopicsAndWait(admin, ['dlq', 'in'], 2, { pollMs: 1, configs });
    expect(admin.createTopics.firstCall.args[0].topics).to.deep.equal([
      { topic: 'dlq', numPartitions: 2, replicationFactor: -1, configEntries: [{ name: 'retention.ms', value: '86400000' }] },
      { topic: 'in', numPartitions: 2, replicationFactor: -1 },
    ]);
    expect(topicConfigs('dlq', { deadLetterTopicMs: null })).to.deep.equal({ dlq: { 'retention.ms': '-1' } });
  });
});

describe('topicConfigDifferences', () => {
  it('reports the configs of existing topics that differ from what casestream would create them with', async () => {
    const describeConfigs = sinon.stub().resolves({
      resources: [{ resourceName: 'dlq', errorCode: 0, configEntries: [{ configName: 'retention.ms', configValue: '604800000' }] }],
    });
    const configs = { dlq: { 'retention.ms': '2592000000' } };

    expect(await topicConfigDifferences({ describeConfigs }, ['dlq', 'in'], configs)).to.deep.equal([
      { topic: 'dlq', config: 'retention.ms', wanted: '2592000000', actual: '604800000' },
    ]);
    expect(describeConfigs.firstCall.args[0].resources).to.deep.equal([{ type: 2, name: 'dlq', configNames: ['retention.ms'] }]);
    expect(await topicConfigDifferences({ describeConfigs }, ['dlq'], { dlq: { 'retention.ms': '604800000' } })).to.deep.equal([]);
    expect(await topicConfigDifferences({ describeConfigs }, ['in'], configs)).to.deep.equal([]);
    expect(describeConfigs.callCount).to.equal(2);
  });

  it('does not stop the start when the broker will not describe configs: it says they were not checked', async () => {
    const admin = {
      ...adminWith(['dlq'], sinon.stub()),
      connect: sinon.stub().resolves(),
      disconnect: sinon.stub().resolves(),
      describeConfigs: sinon.stub().rejects(new Error('Topic authorization failed')),
    };
    const kafka = { admin: () => admin } as unknown as Kafka;

    expect(await ensureTopics(kafka, ['dlq'], 2, { dlq: { 'retention.ms': '1000' } })).to.deep.equal({
      created: [],
      differing: [],
      unchecked: 'Topic authorization failed',
    });
    expect(admin.disconnect.called).to.equal(true);
  });
});
