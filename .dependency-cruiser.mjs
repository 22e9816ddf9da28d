/**
 * The layers of src/ and the one direction their imports may point (npm run lint checks it):
 *
 *   lib  <-  domain  <-  operators  <-  streams  <-  infra  <-  app (src/*.ts, src/cli)
 *
 * lib: generic data structures and helpers; domain: pure types and decisions; operators: generic
 * RxJS operators; streams: the pipeline, its per-message steps and its ports; infra: adapters to
 * Kafka, MongoDB, Redis, HTTP and the environment; app: the wiring, the service and the CLI.
 * operators know nothing of the domain, and nothing below infra touches a client library.
 */
const IO_PACKAGES = '(^|/)node_modules/(kafkajs|mongodb|ioredis|node-fetch|pino)/|^(fs|net|http|https|child_process)$';

const upward = (name, layer, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: allowed.map((l) => `^src/${l}/`) },
});

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle ties modules that should be read one after the other.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    upward('lib-is-generic', 'lib', ['lib'], 'src/lib holds generic helpers: it imports nothing else of casestream.'),
    upward('domain-is-pure', 'domain', ['lib', 'domain'], 'The domain decides on values: it imports only lib.'),
    upward(
      'operators-are-generic',
      'operators',
      ['lib', 'operators'],
      'src/operators holds generic RxJS operators: no domain, no pipeline.',
    ),
    upward(
      'streams-below-infra',
      'streams',
      ['lib', 'domain', 'operators', 'streams'],
      'The pipeline reaches the outside only through its ports.',
    ),
    upward(
      'infra-below-app',
      'infra',
      ['lib', 'domain', 'operators', 'streams', 'infra'],
      'Adapters do not know the service or the CLI that wire them.',
    ),
    {
      name: 'no-io-below-infra',
      comment: 'Only infra (and the app) talk to Kafka, MongoDB, Redis, HTTP, files or the logger.',
      severity: 'error',
      from: { path: '^src/(lib|domain|operators|streams)/' },
      to: { path: IO_PACKAGES, dependencyTypes: ['npm', 'core'] },
    },
    {
      name: 'tracing-sdk-in-app-only',
      comment: 'Below the app, tracing uses @opentelemetry/api alone; the SDK is set up in src/telemetry.ts.',
      severity: 'error',
      from: { path: '^src/(lib|domain|operators|streams|infra)/' },
      to: { path: '(^|/)node_modules/@opentelemetry/(?!api/)' },
    },
    {
      name: 'no-tracing-in-the-core',
      comment: 'lib, domain and operators know nothing of tracing.',
      severity: 'error',
      from: { path: '^src/(lib|domain|operators)/' },
      to: { path: '(^|/)node_modules/@opentelemetry/' },
    },
    {
      name: 'src-not-to-tests',
      comment: 'Product code never imports tests or benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    { name: 'no-unresolvable', comment: 'Every import resolves.', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
