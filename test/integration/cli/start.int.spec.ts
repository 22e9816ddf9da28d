import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_BROKERS, MONGO_URL, REPO_ROOT, uniqueName, waitFor } from '../../support/stack.js';

const bin = join(REPO_ROOT, 'dist/cli/main.js');

describe('casestream start', function () {
  this.timeout(90_000);

  it('runs the service until SIGTERM, then stops cleanly with exit code 0', async function () {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: npm test builds it first (npm run build)`);
    const id = uniqueName('start');
    const topics = [`${id}.kyc_events`, `${id}.case_commands`, `${id}.dlq`, `${id}.notifications`];
    const child = spawn(process.execPath, [bin, 'start'], {
      env: {
        PATH: process.env.PATH,
        ENV_FILE: '/dev/null',
        KAFKA_BOOTSTRAP_SERVERS: KAFKA_BROKERS.join(','),
        KAFKA_TOPIC_NAME: topics[0],
        KAFKA_COMMAND_TOPIC: topics[1],
        KAFKA_DLQ_TOPIC: topics[2],
        NOTIFICATION_KAFKA_TOPIC: topics[3],
        KAFKA_CONSUMER_GROUP_ID: `${id}.group`,
        MONGO_DETAILS: MONGO_URL,
        DB_NAME: id,
        REDIS_URL: 'redis://127.0.0.1:6379/14',
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await waitFor(() => /"port":(\d+),"msg":"HTTP API, health and metrics listening"/.exec(output)?.[1], 60_000, {
        description: 'the HTTP server',
      });
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(live.status).to.equal(200);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200, 30_000, {
        description: 'readiness',
      });
      child.kill('SIGTERM');
      expect(await exited, output).to.equal(0);
      expect(output).to.contain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      const mongo = await MongoClient.connect(MONGO_URL);
      await mongo
        .db(id)
        .dropDatabase()
        .catch(() => undefined);
      await mongo.close();
      // the service created these topics at startup; left behind they slow every broker restart
      const admin = new Kafka({ brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
