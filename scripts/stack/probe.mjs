// Readiness probe used by scripts/stack/*.sh: exits 0 when the named server
// answers a real request (not just an open port), 1 otherwise.
//   node scripts/stack/probe.mjs kafka|mongo|config-stub|jaeger
/* global process, console, fetch, setTimeout, AbortSignal -- Node.js globals */
import kafkajs from 'kafkajs';
import { MongoClient } from 'mongodb';

const HOST = '127.0.0.1';
const TIMEOUT_MS = 10_000;

async function probeKafka() {
  const { Kafka, logLevel } = kafkajs;
  const kafka = new Kafka({
    clientId: 'casestream-stack-probe',
    brokers: [`${HOST}:9092`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0 || cluster.controller === null) {
      throw new Error('no broker/controller in metadata yet');
    }
    await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

async function probeMongo() {
  const client = new MongoClient(`mongodb://${HOST}:27017/`, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    directConnection: true,
  });
  try {
    const res = await client.db('admin').command({ ping: 1 });
    if (res.ok !== 1) throw new Error(`ping answered ${JSON.stringify(res)}`);
  } finally {
    await client.close();
  }
}

async function probeConfigStub() {
  const res = await fetch(`http://${HOST}:8081/__control`, { signal: AbortSignal.timeout(3000) });
  if (res.status !== 200) throw new Error(`GET /__control answered ${res.status}`);
  const body = await res.json();
  if (typeof body.mode !== 'string') throw new Error('GET /__control did not return a mode');
}

// Jaeger is ready when its health check says every component runs, its OTLP/HTTP receiver takes an
// (empty) export and its query API answers.
async function probeJaeger() {
  const signal = AbortSignal.timeout(3000);
  const health = await fetch(`http://${HOST}:13133/status`, { signal });
  if (health.status !== 200) throw new Error(`GET :13133/status answered ${health.status}`);
  const otlp = await fetch(`http://${HOST}:4318/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"resourceSpans":[]}',
    signal,
  });
  if (otlp.status !== 200) throw new Error(`POST :4318/v1/traces answered ${otlp.status}`);
  const services = await fetch(`http://${HOST}:16686/api/services`, { signal });
  if (services.status !== 200) throw new Error(`GET :16686/api/services answered ${services.status}`);
  const body = await services.json();
  if (!Array.isArray(body.data) && body.data !== null) throw new Error('GET /api/services did not return a data list');
}

const probes = { kafka: probeKafka, mongo: probeMongo, 'config-stub': probeConfigStub, jaeger: probeJaeger };
const name = process.argv[2] ?? '';
const probe = probes[name];
if (!probe) {
  console.error(`usage: probe.mjs ${Object.keys(probes).join('|')}`);
  process.exit(2);
}
setTimeout(() => {
  console.error(`${name}: probe timed out after ${TIMEOUT_MS} ms`);
  process.exit(1);
}, TIMEOUT_MS).unref();
probe().then(
  () => process.exit(0),
  (err) => {
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
