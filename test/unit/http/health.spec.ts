import { expect } from 'chai';
import { createLivenessCheck } from '../../../src/infra/http/health.js';
import { startHarness, type Harness } from './harness.js';

describe('health: liveness and stalls', () => {
  describe('createLivenessCheck', () => {
    it('is ok while the consumer lives, and down with the reason once it is dead for good', () => {
      let dead: string | undefined = undefined;
      const live = createLivenessCheck(() => dead);
      expect(live()).to.deep.equal({ status: 'ok' });
      dead = 'the Kafka consumer crashed for good: KafkaJSNonRetriableError';
      expect(live()).to.deep.equal({ status: 'down', reason: dead });
    });
  });

  describe('routes', () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.server.close();
      h = undefined;
    });

    it('GET /health/live answers 503 {status: down, reason} once the consumer is dead for good, so the orchestrator restarts the process', async () => {
      let dead: string | undefined = undefined;
      h = await startHarness({ live: createLivenessCheck(() => dead) });
      expect(await h.call('/health/live')).to.deep.include({ status: 200, body: { status: 'ok' } });
      dead = 'the Kafka consumer crashed for good: Topic authorization failed';
      expect(await h.call('/health/live')).to.deep.include({ status: 503, body: { status: 'down', reason: dead } });
    });

    it('GET /health/ready stays 200 but answers degraded, naming the stalled partition, while a partition makes no progress', async () => {
      const stalled = [{ topic: 'kyc_events', partition: 3, offset: '42', since_ms: 125_000 }];
      let current: typeof stalled = [];
      h = await startHarness({ stalled: () => current });
      expect(await h.call('/health/ready')).to.deep.include({ status: 200, body: { status: 'ready' } });
      current = stalled;
      expect(await h.call('/health/ready')).to.deep.include({ status: 200, body: { status: 'degraded', stalled } });
      h.state.ready = async () => false;
      expect((await h.call('/health/ready')).status, 'not ready wins over degraded').to.equal(503);
    });
  });
});
