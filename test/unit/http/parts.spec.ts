import { expect } from 'chai';
import { createKafkaCommandPublisher } from '../../../src/infra/http/commandPublisher.js';
import { commandResultOf, toCommandResultUpsert, toStatusView } from '../../../src/infra/mongo/commandResults.js';
import {
  configServiceCheck,
  createHealthCheck,
  createReadinessCheck,
  kafkaCheck,
  overallStatus,
  runCheck,
} from '../../../src/infra/http/health.js';
import { DEFAULT_API_LIMITS } from '../../../src/infra/http/apiLimits.js';
import { openApiDocument } from '../../../src/infra/http/openapi.js';
import type { RuleLookupStats } from '../../../src/infra/rules/cachedRuleLookup.js';
import { apiRoutes } from './harness.js';

describe('OpenAPI document', () => {
  const routes = apiRoutes();
  const doc = openApiDocument(DEFAULT_API_LIMITS);
  const paths = doc.paths as unknown as Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;

  it('describes every route with its method, and nothing else', () => {
    const served = routes.map((r) => `${r.method} ${r.template}`).sort();
    const documented = Object.entries(paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).to.deep.equal(served);
  });

  it('declares every path parameter of every route', () => {
    for (const r of routes) {
      const names = [...r.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const op = paths[r.template]![r.method.toLowerCase()]!;
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared, `${r.method} ${r.template}`).to.deep.equal(names);
    }
  });

  it('resolves every $ref', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).to.be.greaterThan(10);
    const components = doc.components as unknown as Record<string, Record<string, unknown>>;
    for (const [, kind, name] of refs) expect(components[kind!]?.[name!], `${kind}/${name}`).to.not.equal(undefined);
  });
});

describe('health helpers', () => {
  const up = { status: 'up' } as const;

  it('overall status: down when Kafka or MongoDB is down, degraded when anything else is down or degraded', () => {
    expect(overallStatus({ kafka: up, mongodb: up, redis: up, config_service: { status: 'disabled' } })).to.equal('ok');
    expect(overallStatus({ kafka: up, mongodb: up, redis: { status: 'down' }, config_service: up })).to.equal('degraded');
    expect(overallStatus({ kafka: up, mongodb: up, redis: up, config_service: { status: 'down' } })).to.equal('degraded');
    expect(overallStatus({ kafka: { status: 'degraded' }, mongodb: up, redis: up, config_service: up })).to.equal('degraded');
    expect(overallStatus({ kafka: { status: 'down' }, mongodb: up, redis: up, config_service: up })).to.equal('down');
    expect(overallStatus({ kafka: up, mongodb: { status: 'down' }, redis: up, config_service: up })).to.equal('down');
  });

  it('a check that throws or hangs is down, with a one-line detail', async () => {
    expect(
      await runCheck(() => {
        throw new Error('refused\nsecond line');
      }, 50),
    ).to.deep.equal({ status: 'down', detail: 'Error: refused' });
    expect(await runCheck(() => new Promise(() => undefined), 20)).to.deep.equal({ status: 'down', detail: 'no answer within 20 ms' });
  });

  it('createHealthCheck runs every component', async () => {
    const health = createHealthCheck({
      kafka: kafkaCheck(() => true),
      mongodb: async () => up,
      redis: async () => {
        throw new Error('ECONNREFUSED');
      },
      config_service: () => ({ status: 'disabled' }),
    });
    expect(await health()).to.deep.equal({
      status: 'degraded',
      components: {
        kafka: up,
        mongodb: up,
        redis: { status: 'down', detail: 'Error: ECONNREFUSED' },
        config_service: { status: 'disabled' },
      },
    });
  });

  it('the Configuration Service check reads the lookup counters between checks', () => {
    const base: RuleLookupStats = {
      hits: 0,
      misses: 0,
      stale_served: 0,
      errors: 0,
      http_calls: 0,
      http_errors: 0,
      redis_errors: 0,
      short_circuited: 0,
      corrupt_entries: 0,
    };
    let stats = base;
    expect(configServiceCheck(undefined, () => stats)()).to.deep.equal({ status: 'disabled', detail: 'CONFIG_SERVICE_URL is not set' });
    const check = configServiceCheck('http://cs', () => stats);
    expect(check()).to.deep.equal(up);
    stats = { ...stats, http_calls: 3, http_errors: 3 };
    expect(check()).to.deep.equal({ status: 'down', detail: 'the last 3 call(s) failed' });
    stats = { ...stats, http_calls: 5, http_errors: 4 };
    expect(check()).to.deep.equal(up);
    stats = { ...stats, short_circuited: 1 };
    expect(check()).to.deep.equal({ status: 'down', detail: 'circuit breaker open' });
    expect(check()).to.deep.equal(up);
  });

  it('readiness needs the group membership and a database answer', async () => {
    const db = { command: async () => ({ ok: 1 }) };
    const failing = { command: async () => Promise.reject(new Error('down')) };
    expect(await createReadinessCheck(() => true, db)()).to.equal(true);
    expect(await createReadinessCheck(() => false, db)()).to.equal(false);
    expect(await createReadinessCheck(() => true, failing)()).to.equal(false);
  });
});

describe('command results', () => {
  const at = new Date('2026-01-01T00:00:00Z');

  it('turns a completion into a result, only with a command id', () => {
    expect(commandResultOf({ outcome: 'processed', case_id: 'c', event_ids: ['e1'], reason: null }, 'k', at)).to.deep.equal({
      command_id: 'k',
      status: 'processed',
      case_id: 'c',
      event_ids: ['e1'],
      completed_at: at,
    });
    expect(commandResultOf({ outcome: 'rejected', case_id: null, event_ids: [], reason: 'unknown case' }, 'k', at)).to.deep.equal({
      command_id: 'k',
      status: 'rejected',
      case_id: null,
      reason: 'unknown case',
      completed_at: at,
    });
    expect(commandResultOf({ outcome: 'processed', case_id: 'c', event_ids: [], reason: null }, undefined)).to.equal(undefined);
    expect(commandResultOf({ outcome: 'processed', case_id: 'c', event_ids: [], reason: null }, ' ')).to.equal(undefined);
  });

  it('upserts by _id, clearing the field of the other outcome, or inserts the whole result when there is none yet', () => {
    const processed = toCommandResultUpsert({ command_id: 'k', status: 'processed', case_id: 'c', event_ids: ['e'], completed_at: at });
    expect(processed).to.deep.include({
      filter: { _id: 'k' },
      insert: { _id: 'k', status: 'processed', case_id: 'c', event_ids: ['e'], completed_at: at },
      update: { $set: { status: 'processed', case_id: 'c', event_ids: ['e'], completed_at: at }, $unset: { reason: '' } },
    });
    const rejected = toCommandResultUpsert({ command_id: 'k', status: 'rejected', case_id: 'c', reason: 'r', completed_at: at });
    expect(rejected).to.deep.include({
      filter: { _id: 'k' },
      insert: { _id: 'k', status: 'rejected', case_id: 'c', reason: 'r', completed_at: at },
      update: { $set: { status: 'rejected', case_id: 'c', reason: 'r', completed_at: at }, $unset: { event_ids: '' } },
    });
  });

  it('completes a result the API left pending, and leaves one a redelivery would only repeat', () => {
    const upsert = toCommandResultUpsert({ command_id: 'k', status: 'processed', case_id: 'c', event_ids: ['e'], completed_at: at });
    expect(upsert.changes?.({ _id: 'k', status: 'pending', case_id: 'c', accepted_at: at })).to.equal(true);
    expect(upsert.changes?.({ _id: 'k', status: 'processed', case_id: 'c', event_ids: ['e'], completed_at: at })).to.equal(false);
  });

  it('shows a stored document as the status view', () => {
    expect(toStatusView({ status: 'pending' })).to.deep.equal({ status: 'pending' });
    expect(toStatusView({ status: 'processed', event_ids: ['e'] })).to.deep.equal({ status: 'processed', event_ids: ['e'] });
    expect(toStatusView({ status: 'rejected', reason: 'r' })).to.deep.equal({ status: 'rejected', reason: 'r' });
  });
});

describe('Kafka command publisher', () => {
  it('sends the command as JSON keyed by case id, with the command id as message-id', async () => {
    const sent: unknown[] = [];
    const publisher = createKafkaCommandPublisher({ send: async (r) => (sent.push(r), []) }, 'case_commands');
    const command = {
      command_type: 'DetermineDocumentRequirements' as const,
      command_id: 'k',
      case_id: 'c',
      entity_id: 'p',
      entity_type: 'PERSON' as const,
    };
    await publisher.publish(command);
    expect(sent).to.deep.equal([
      { topic: 'case_commands', messages: [{ key: 'c', value: JSON.stringify(command), headers: { 'message-id': 'k' } }] },
    ]);
  });
});
