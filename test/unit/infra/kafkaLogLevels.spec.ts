import { expect } from 'chai';
import { logLevel, type LogEntry } from 'kafkajs';
import { pino } from 'pino';
import { createKafka } from '../../../src/infra/kafka/kafkaClient.js';
import { crashLogLevel, kafkaLogLevel, SETTLING_RETRIES } from '../../../src/infra/kafka/kafkaLogLevels.js';
import { capturedLogs } from '../../support/capturedLogs.js';

const labels = { [logLevel.ERROR]: 'ERROR', [logLevel.WARN]: 'WARN', [logLevel.INFO]: 'INFO', [logLevel.DEBUG]: 'DEBUG' } as Record<
  number,
  string
>;

/** A log entry as kafkajs 2.2.4 hands it to a logCreator (shapes recorded from the local broker, or copied from the kafkajs line that writes it). */
const entry = (namespace: string, level: logLevel, message: unknown, extra: Record<string, unknown> = {}): LogEntry => ({
  namespace,
  level,
  label: labels[level]!,
  log: { timestamp: '2026-12-05T13:31:15.054Z', logger: 'kafkajs', message: message as string, ...extra },
});

/** kafkajs's Connection line for a request the broker refused (network/connection.js). */
const response = (request: string, error: string) =>
  entry('Connection', logLevel.ERROR, `Response ${request}`, {
    broker: '127.0.0.1:9092',
    clientId: 'casestream',
    error,
    correlationId: 7,
    size: 63,
  });

/** kafkajs's BrokerPool line for a failed attempt to reach the seed broker (cluster/brokerPool.js). */
const seedBrokerRetry = (retryCount: number) =>
  entry(
    'BrokerPool',
    logLevel.ERROR,
    'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    {
      retryCount,
      retryTime: 200 * 2 ** retryCount,
    },
  );

/** kafkajs's Consumer line at a crash (consumer/index.js). */
const crash = (name: string, message: string, retryCount?: number) =>
  entry('Consumer', logLevel.ERROR, `Crash: ${name}: ${message}`, {
    groupId: 'casestream',
    retryCount,
    stack: `${name}: ${message}\n    at …`,
  });

describe('kafkaLogLevel', () => {
  describe('a broker still settling, as on every start', () => {
    it('logs the refused requests of a start on fresh topics at debug, not error', () => {
      expect(kafkaLogLevel(response('ListOffsets(key: 2, version: 3)', 'This server is not the leader for that topic-partition'))).to.equal(
        'debug',
      );
      expect(
        kafkaLogLevel(
          response(
            'Metadata(key: 3, version: 6)',
            'There is no leader for this topic-partition as we are in the middle of a leadership election',
          ),
        ),
      ).to.equal('debug');
      expect(kafkaLogLevel(response('Metadata(key: 3, version: 6)', 'This server does not host this topic-partition'))).to.equal('debug');
    });

    it('logs the group coordinator not being ready yet at debug', () => {
      expect(kafkaLogLevel(response('FindCoordinator(key: 10, version: 2)', 'The group coordinator is not available'))).to.equal('debug');
      expect(
        kafkaLogLevel(
          response('JoinGroup(key: 11, version: 5)', "The coordinator is loading and hence can't process requests for this group"),
        ),
      ).to.equal('debug');
      expect(kafkaLogLevel(response('OffsetFetch(key: 9, version: 4)', 'This is not the correct coordinator for this group'))).to.equal(
        'debug',
      );
    });

    it('logs a rebalance when another instance joins or leaves the group at debug', () => {
      expect(kafkaLogLevel(response('Heartbeat(key: 12, version: 3)', 'The group is rebalancing, so a rejoin is needed'))).to.equal(
        'debug',
      );
      expect(kafkaLogLevel(response('SyncGroup(key: 14, version: 3)', 'The group is rebalancing, so a rejoin is needed'))).to.equal(
        'debug',
      );
      const rejoining = entry('Runner', logLevel.WARN, 'The group is rebalancing, re-joining', {
        groupId: 'g',
        memberId: 'casestream-80c82a2f',
        error: 'The group is rebalancing, so a rejoin is needed',
      });
      expect(kafkaLogLevel(rejoining)).to.equal('debug');
    });

    it('logs the topic creation race of instances starting together at debug (kafkajs takes "already exists" as done)', () => {
      expect(kafkaLogLevel(response('CreateTopics(key: 19, version: 3)', 'Topic creation errors'))).to.equal('debug');
    });

    it('logs a broker not listening yet at debug for the attempt and info for the retry', () => {
      const refused = entry('Connection', logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
        broker: '127.0.0.1:9092',
        clientId: 'casestream',
      });
      expect(kafkaLogLevel(refused)).to.equal('debug');
      expect(kafkaLogLevel(seedBrokerRetry(0))).to.equal('info');
      expect(kafkaLogLevel(seedBrokerRetry(SETTLING_RETRIES - 1))).to.equal('info');
    });

    it('logs a produce retried for want of a leader at info', () => {
      const retried = entry('Producer', logLevel.ERROR, 'Failed to send messages: This server is not the leader for that topic-partition', {
        retryCount: 1,
        retryTime: 412,
      });
      expect(kafkaLogLevel(retried)).to.equal('info');
    });

    it('warns once the broker has kept settling for longer than a start takes', () => {
      expect(kafkaLogLevel(seedBrokerRetry(SETTLING_RETRIES))).to.equal('warn');
      expect(kafkaLogLevel(seedBrokerRetry(7))).to.equal('warn');
    });
  });

  describe('other errors kafkajs retries', () => {
    it('warns, since the outcome is reported when the retries run out', () => {
      expect(kafkaLogLevel(response('Produce(key: 0, version: 7)', 'The request timed out'))).to.equal('warn');
      expect(
        kafkaLogLevel(entry('Connection', logLevel.ERROR, 'Connection error: read ECONNRESET', { broker: '127.0.0.1:9092' })),
      ).to.equal('warn');
      expect(kafkaLogLevel(entry('Connection', logLevel.ERROR, 'Connection timeout', { broker: '127.0.0.1:9092' }))).to.equal('warn');
      expect(kafkaLogLevel(response('CreateTopics(key: 19, version: 3)', 'This is not the correct controller for this cluster'))).to.equal(
        'warn',
      );
    });
  });

  describe('real failures', () => {
    it('keeps a refused authentication at error', () => {
      expect(
        kafkaLogLevel(response('SaslAuthenticate(key: 36, version: 1)', 'Authentication failed: Invalid username or password')),
      ).to.equal('error');
      const authenticator = entry(
        'SaslAuthenticator-PLAIN',
        logLevel.ERROR,
        'SASL PLAIN authentication failed: Authentication failed: Invalid username or password',
        {
          broker: '127.0.0.1:9094',
        },
      );
      expect(kafkaLogLevel(authenticator)).to.equal('error');
      const pool = entry(
        'BrokerPool',
        logLevel.ERROR,
        'SASL PLAIN authentication failed: Authentication failed: Invalid username or password',
        { retryCount: 0, retryTime: 327 },
      );
      expect(kafkaLogLevel(pool)).to.equal('error');
    });

    it('keeps a refused topic or group authorization at error', () => {
      expect(
        kafkaLogLevel(response('Metadata(key: 3, version: 6)', 'Not authorized to access topics: [Topic authorization failed]')),
      ).to.equal('error');
      expect(
        kafkaLogLevel(response('JoinGroup(key: 11, version: 5)', 'Not authorized to access group: Group authorization failed')),
      ).to.equal('error');
    });

    it('keeps a consumer crash at error when kafkajs used up its retries or will not restart', () => {
      expect(kafkaLogLevel(crash('KafkaJSNumberOfRetriesExceeded', 'This server is not the leader for that topic-partition', 8))).to.equal(
        'error',
      );
      expect(kafkaLogLevel(crash('KafkaJSProtocolError', 'Not authorized to access topics: [Topic authorization failed]'))).to.equal(
        'error',
      );
      expect(kafkaLogLevel(crash('KafkaJSGroupCoordinatorNotFound', 'Failed to find group coordinator'))).to.equal('error');
    });

    it('keeps an error kafkajs logs as an Error object at error', () => {
      expect(
        kafkaLogLevel(entry('BrokerPool', logLevel.ERROR, new Error('Unsupported SASL mechanism'), { retryCount: 0, retryTime: 200 })),
      ).to.equal('error');
    });
  });

  describe('a consumer crash kafkajs restarts from', () => {
    it('warns about the crash and tells the restart at info', () => {
      expect(kafkaLogLevel(crash('KafkaJSProtocolError', 'The group coordinator is not available'))).to.equal('warn');
      expect(kafkaLogLevel(crash('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).to.equal('warn');
      expect(
        kafkaLogLevel(entry('Consumer', logLevel.ERROR, 'Restarting the consumer in 300ms', { retryTime: 300, groupId: 'g' })),
      ).to.equal('info');
    });
  });

  it("keeps kafkajs's level for anything it does not know", () => {
    expect(
      kafkaLogLevel(entry('RequestQueue', logLevel.WARN, 'Response without match', { clientId: 'casestream', broker: '127.0.0.1:9092' })),
    ).to.equal('warn');
    expect(kafkaLogLevel(entry('Consumer', logLevel.ERROR, 'Failed to execute listener: boom', { eventName: 'consumer.crash' }))).to.equal(
      'error',
    );
    expect(
      kafkaLogLevel(entry('Connection', logLevel.DEBUG, 'Request Metadata(key: 3, version: 6)', { broker: '127.0.0.1:9092' })),
    ).to.equal('debug');
  });
});

describe('crashLogLevel', () => {
  it('warns about a crash kafkajs restarts from', () => {
    const error = Object.assign(new Error('The group coordinator is not available'), { name: 'KafkaJSProtocolError', retriable: true });
    expect(crashLogLevel({ error, restart: true })).to.equal('warn');
  });

  it('is an error when the consumer is dead for good', () => {
    const error = Object.assign(new Error('Not authorized to access topics: [Topic authorization failed]'), {
      name: 'KafkaJSProtocolError',
    });
    expect(crashLogLevel({ error, restart: false })).to.equal('error');
  });

  it('is an error when kafkajs used up its retries, even though it restarts', () => {
    const error = Object.assign(new Error('This server is not the leader for that topic-partition'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
    });
    expect(crashLogLevel({ error, restart: true })).to.equal('error');
  });
});

describe('createKafka logging', () => {
  it("writes kafkajs's lines through the service logger at their level, with the retry count", () => {
    const { sink, lines } = capturedLogs();
    const logger = pino({ level: 'debug', formatters: { level: (label) => ({ level: label }) } }, sink);
    const root = createKafka({ brokers: ['127.0.0.1:9092'], clientId: 'casestream' }, logger).logger();
    root.namespace('Connection').error('Response ListOffsets(key: 2, version: 3)', {
      broker: '127.0.0.1:9092',
      error: 'This server is not the leader for that topic-partition',
    });
    root
      .namespace('BrokerPool')
      .error(
        'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
        { retryCount: 2, retryTime: 800 },
      );
    root.namespace('Connection').error('Response Metadata(key: 3, version: 6)', {
      broker: '127.0.0.1:9092',
      error: 'Not authorized to access topics: [Topic authorization failed]',
    });
    root.namespace('Connection').info('Connecting', { broker: '127.0.0.1:9092' });
    expect(lines.map((l) => [l.level, l.kafka, l.msg])).to.deep.equal([
      ['debug', 'Connection', 'Response ListOffsets(key: 2, version: 3)'],
      [
        'info',
        'BrokerPool',
        'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
      ],
      ['error', 'Connection', 'Response Metadata(key: 3, version: 6)'],
    ]);
    expect(lines[1]).to.include({ retryCount: 2, retryTime: 800 });
    expect(lines[2]).to.include({ broker: '127.0.0.1:9092', error: 'Not authorized to access topics: [Topic authorization failed]' });
  });
});
