import { expect } from 'chai';
import { connect, createServer, type Server } from 'node:net';
import { ServiceHarness } from '../../support/serviceHarness.js';
import { KAFKA_BROKERS } from '../../support/stack.js';

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly kafka?: string;
  readonly error?: string;
}

const parsed = (svc: ServiceHarness): LogLine[] => svc.logLines.map((l) => JSON.parse(l) as LogLine);

/** One line of the log, short: level, kafkajs namespace, message and error. */
const summary = (l: LogLine) => `${l.level} ${l.kafka ?? ''} ${l.msg}${l.error === undefined ? '' : `: ${l.error}`}`;

/** No line at error or fatal; a failure shows them, and every kafkajs line with them. */
const expectNoError = (svc: ServiceHarness, who = 'the service') => {
  const lines = parsed(svc);
  const errors = lines.filter((l) => l.level === 'error' || l.level === 'fatal').map(summary);
  const kafka = lines.filter((l) => l.kafka !== undefined).map(summary);
  expect(errors, `${who} logged an error during a normal start; its kafkajs lines:\n${kafka.join('\n')}\n`).to.deep.equal([]);
};

const clientData = (client_id: string) => ({
  key: client_id,
  value: {
    client_id,
    version: '1.0',
    type: 'INDIVIDUAL_STANDARD',
    traitement_type: 'KYC',
    persons: [{ firstname: 'Ada', lastname: 'Quiet', birthdate: '1990-01-01' }],
  },
});

/** Forwards 127.0.0.1:<port> to the broker, from `delayMs` on: until then the port refuses connections. */
const lateBroker = (delayMs: number) => {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const [host, brokerPort] = KAFKA_BROKERS[0]!.split(':') as [string, string];
  let server: Server | undefined;
  const timer = setTimeout(() => {
    server = createServer((client) => {
      const broker = connect(Number(brokerPort), host);
      client.pipe(broker).pipe(client);
      client.on('error', () => broker.destroy());
      broker.on('error', () => client.destroy());
    }).listen(port, host);
  }, delayMs);
  return {
    address: `${host}:${port}`,
    close: () => {
      clearTimeout(timer);
      server?.close();
    },
  };
};

describe('a normal start of the service', function () {
  this.timeout(120_000);
  // debug: a kafkajs line that only moved down a level is still there to be read
  const LOG_LEVEL = 'debug';

  it('logs no error while it creates fresh topics, joins its group and handles its first messages', async () => {
    const svc = await new ServiceHarness({ LOG_LEVEL }).start();
    try {
      await svc.sendClientData(clientData('quiet-1'), clientData('quiet-2'), clientData('quiet-3'));
      for (const id of ['quiet-1', 'quiet-2', 'quiet-3']) await svc.caseOf(id);
      expectNoError(svc);
    } finally {
      await svc.stop();
    }
  });

  it('logs no error while the broker is not listening yet, and says it is retrying', async () => {
    const broker = lateBroker(1_500);
    const svc = new ServiceHarness({ LOG_LEVEL, KAFKA_BOOTSTRAP_SERVERS: broker.address });
    try {
      await svc.start();
      await svc.sendClientData(clientData('late-1'));
      await svc.caseOf('late-1');
      expectNoError(svc);
      const retries = parsed(svc).filter((l) => l.kafka === 'BrokerPool' && l.msg.includes('ECONNREFUSED'));
      expect(retries, 'the start waited for the broker').to.not.deep.equal([]);
      expect([...new Set(retries.map((l) => l.level))], 'the levels of the retries').to.deep.equal(['info']);
    } finally {
      await svc.stop();
      broker.close();
    }
  });

  it('logs no error when two instances of one group start together on fresh topics', async () => {
    const first = new ServiceHarness({ LOG_LEVEL });
    const shared = [
      'KAFKA_TOPIC_NAME',
      'KAFKA_COMMAND_TOPIC',
      'KAFKA_DLQ_TOPIC',
      'NOTIFICATION_KAFKA_TOPIC',
      'KAFKA_CONSUMER_GROUP_ID',
      'DB_NAME',
    ] as const;
    const second = new ServiceHarness({ LOG_LEVEL, ...Object.fromEntries(shared.map((name) => [name, String(first.env[name])])) });
    try {
      await Promise.all([first.start(), second.start()]);
      const ids = Array.from({ length: 6 }, (_, i) => `together-${i}`);
      await first.sendClientData(...ids.map(clientData));
      for (const id of ids) await first.caseOf(id);
      expectNoError(first, 'the first instance');
      expectNoError(second, 'the second instance');
    } finally {
      await second.stopService();
      await first.stop();
      await second.stop();
    }
  });
});
