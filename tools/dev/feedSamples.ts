/**
 * `npm run dev` helper: sends config/samples/*.json to the client-data topic (once the service
 * has created it), then prints the notifications and dead letters that come back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import * as E from 'fp-ts/lib/Either.js';
import { loadEnvironment } from '../../src/infra/envFile.js';
import { decodeEnvSettings } from '../../src/infra/settings.js';

const settings = decodeEnvSettings(loadEnvironment());
if (E.isLeft(settings)) throw new Error(settings.left);
const s = settings.right;
const kafka = new Kafka({ clientId: 'casestream-dev-feeder', brokers: s.KAFKA_BOOTSTRAP_SERVERS, logLevel: logLevel.NOTHING });
const say = (line: string) => process.stdout.write(`\x1b[36m[samples]\x1b[0m ${line}\n`);

const waitForTopics = async (topics: string[]) => {
  const admin = kafka.admin();
  await admin.connect();
  for (let i = 0; i < 120; i += 1) {
    const existing = new Set(await admin.listTopics());
    if (topics.every((t) => existing.has(t))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await admin.disconnect();
};

const run = async () => {
  await waitForTopics([s.KAFKA_TOPIC_NAME, s.NOTIFICATION_KAFKA_TOPIC, s.KAFKA_DLQ_TOPIC]);
  const consumer = kafka.consumer({ groupId: `casestream-dev-watch-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [s.NOTIFICATION_KAFKA_TOPIC, s.KAFKA_DLQ_TOPIC], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === s.KAFKA_DLQ_TOPIC) {
        say(`dead letter: ${message.headers?.['x-error-reason']?.toString() ?? '?'}`);
        return;
      }
      const event = JSON.parse(message.value?.toString() ?? '{}') as {
        event_id: string;
        payload: { notification_type: string; template_id: string };
      };
      say(
        `notification for case ${message.key?.toString()}: ${event.payload.notification_type} ${event.payload.template_id} (event ${event.event_id})`,
      );
    },
  });
  await new Promise((r) => setTimeout(r, 3000));
  const producer = kafka.producer();
  await producer.connect();
  const dir = 'config/samples';
  const runId = Date.now();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    await producer.send({
      topic: s.KAFKA_TOPIC_NAME,
      messages: [{ value: readFileSync(join(dir, file)), headers: { 'message-id': `dev-${runId}-${file}` } }],
    });
    say(`sent ${file}`);
  }
  await producer.disconnect();
  await reportCases(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { client_id?: string }).client_id ?? ''),
  );
};

/** Prints each sample's case as it appears in the read model. */
const reportCases = async (clientIds: string[]) => {
  const mongo = await MongoClient.connect(s.MONGO_DETAILS);
  const cases = mongo.db(s.DB_NAME).collection('cases');
  const seen = new Set<string>();
  for (let i = 0; i < 60 && seen.size < clientIds.length; i += 1) {
    for (const c of await cases.find({ client_id: { $in: clientIds } }).toArray()) {
      if (seen.has(String(c.client_id))) continue;
      seen.add(String(c.client_id));
      say(
        `case ${String(c.id)} created for ${String(c.client_id)}: ${String(c.traitement_type)} ${String(c.type)}${c.company_id ? `, company ${String(c.company_id)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await mongo.close();
};

run().catch((error: unknown) => {
  say(`failed: ${String(error)}`);
  process.exit(1);
});
