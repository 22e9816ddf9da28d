import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { decodeSettings, partitionsConsumedConcurrently, type Settings } from '../../../src/infra/settings.js';

const settingsOf = (env: Record<string, string | undefined>): Settings => {
  const decoded = decodeSettings(env);
  if (E.isLeft(decoded)) throw new Error(`expected settings, got: ${decoded.left}`);
  return decoded.right;
};

const problemsOf = (env: Record<string, string | undefined>): string => {
  const decoded = decodeSettings(env);
  if (E.isRight(decoded)) throw new Error(`expected invalid settings, got ${JSON.stringify(decoded.right)}`);
  return decoded.left;
};

describe('decodeSettings', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(settingsOf({})).to.include({
      KAFKA_TOPIC_NAME: 'kyc_events',
      KAFKA_COMMAND_TOPIC: 'case_commands',
      KAFKA_CONSUMER_GROUP_ID: 'case_management_group',
      KAFKA_DLQ_TOPIC: 'kyc_events.dlq',
      NOTIFICATION_KAFKA_TOPIC: 'notification_events',
      KAFKA_TOPIC_PARTITIONS: 6,
      MONGO_DETAILS: 'mongodb://localhost:27017',
      DB_NAME: 'case_management_db',
      REDIS_URL: 'redis://localhost:6379',
      CONFIG_SERVICE_URL: undefined,
      DEFAULT_HTTP_TIMEOUT: 5,
      CONFIG_CACHE_TTL_SECONDS: 300,
      CONFIG_CACHE_NEGATIVE_TTL_SECONDS: 60,
      LOG_LEVEL: 'info',
    });
    expect(settingsOf({}).KAFKA_BOOTSTRAP_SERVERS).to.deep.equal(['localhost:9092']);
  });

  it('handles the batches of every inbound partition at once unless told otherwise', () => {
    expect(partitionsConsumedConcurrently(settingsOf({}))).to.equal(12);
    expect(partitionsConsumedConcurrently(settingsOf({ KAFKA_TOPIC_PARTITIONS: '10' }))).to.equal(20);
    expect(partitionsConsumedConcurrently(settingsOf({ KAFKA_TOPIC_PARTITIONS: '10', PARTITIONS_CONSUMED_CONCURRENTLY: '3' }))).to.equal(3);
  });

  it('treats an empty value as unset', () => {
    expect(settingsOf({ KAFKA_TOPIC_NAME: '', KAFKA_TOPIC_PARTITIONS: '', CONFIG_SERVICE_URL: '', LOG_LEVEL: '' })).to.include({
      KAFKA_TOPIC_NAME: 'kyc_events',
      KAFKA_TOPIC_PARTITIONS: 6,
      CONFIG_SERVICE_URL: undefined,
      LOG_LEVEL: 'info',
    });
  });

  it('reads the values it is given', () => {
    const s = settingsOf({
      KAFKA_BOOTSTRAP_SERVERS: 'kafka-1:9092, kafka-2:9093',
      KAFKA_TOPIC_NAME: 'clients',
      KAFKA_TOPIC_PARTITIONS: '12',
      MONGO_DETAILS: 'mongodb+srv://user:pw@cluster.example.net/db',
      REDIS_URL: 'rediss://cache:6380',
      CONFIG_SERVICE_URL: 'https://config.example.net',
      DEFAULT_HTTP_TIMEOUT: '2.5',
      CONFIG_CACHE_TTL_SECONDS: '30',
      LOG_LEVEL: 'DEBUG',
    });
    expect(s.KAFKA_BOOTSTRAP_SERVERS).to.deep.equal(['kafka-1:9092', 'kafka-2:9093']);
    expect(s).to.include({
      KAFKA_TOPIC_NAME: 'clients',
      KAFKA_TOPIC_PARTITIONS: 12,
      MONGO_DETAILS: 'mongodb+srv://user:pw@cluster.example.net/db',
      REDIS_URL: 'rediss://cache:6380',
      CONFIG_SERVICE_URL: 'https://config.example.net',
      DEFAULT_HTTP_TIMEOUT: 2.5,
      CONFIG_CACHE_TTL_SECONDS: 30,
      LOG_LEVEL: 'debug',
    });
  });

  it('ignores variables it does not know', () => {
    expect(settingsOf({ PATH: '/usr/bin', HOME: '/root' })).not.to.have.property('PATH');
  });

  it('refuses a bad value, naming the variable and what it must be', () => {
    expect(problemsOf({ KAFKA_TOPIC_PARTITIONS: 'six' })).to.equal(
      'invalid settings:\n  KAFKA_TOPIC_PARTITIONS must be an integer from 1 to 10000, got "six"',
    );
  });

  it('lists every bad value in the one message, one line per variable', () => {
    const message = problemsOf({
      KAFKA_BOOTSTRAP_SERVERS: 'localhost',
      KAFKA_TOPIC_PARTITIONS: '0',
      MONGO_DETAILS: 'postgres://db',
      REDIS_URL: 'localhost:6379',
      CONFIG_SERVICE_URL: 'ftp://config',
      DEFAULT_HTTP_TIMEOUT: '-1',
      CONFIG_CACHE_TTL_SECONDS: '1.5',
      CONFIG_CACHE_NEGATIVE_TTL_SECONDS: 'soon',
      LOG_LEVEL: 'loud',
    });
    const lines = message.split('\n');
    expect(lines[0]).to.equal('invalid settings:');
    const named = lines.slice(1).map((l) => l.trim().split(' ')[0]);
    expect(named).to.have.members([
      'KAFKA_BOOTSTRAP_SERVERS',
      'KAFKA_TOPIC_PARTITIONS',
      'MONGO_DETAILS',
      'REDIS_URL',
      'CONFIG_SERVICE_URL',
      'DEFAULT_HTTP_TIMEOUT',
      'CONFIG_CACHE_TTL_SECONDS',
      'CONFIG_CACHE_NEGATIVE_TTL_SECONDS',
      'LOG_LEVEL',
    ]);
    expect(message).to.contain('KAFKA_BOOTSTRAP_SERVERS must be a comma-separated host:port list');
    expect(message).to.contain('DEFAULT_HTTP_TIMEOUT must be a positive number of seconds, got "-1"');
    expect(message).to.contain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  });

  it('does not repeat a connection string in the message, which may hold a password', () => {
    const message = problemsOf({ MONGO_DETAILS: 'http://admin:s3cret@db:27017', REDIS_URL: 'http://:hunter2@cache' });
    expect(message).not.to.contain('s3cret');
    expect(message).not.to.contain('hunter2');
    expect(message).to.contain('MONGO_DETAILS must be a mongodb or mongodb+srv URL');
  });

  it('refuses a number of partitions out of range or not whole', () => {
    for (const bad of ['0', '-3', '10001', '2.5', '1e3']) expect(problemsOf({ KAFKA_TOPIC_PARTITIONS: bad }), bad).to.contain('KAFKA_TOPIC_PARTITIONS');
  });
});
