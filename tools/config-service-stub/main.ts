// Runs the Configuration Service stub as a process (used by scripts/stack/up.sh
// and docker-compose.yml):
//   node --import tsx tools/config-service-stub/main.ts
// Environment:
//   CONFIG_STUB_PORT   listen port (default 8081)
//   CONFIG_STUB_HOST   bind address (default 127.0.0.1)
//   CONFIG_STUB_RULES  rules JSON file (default config/notification-rules.json
//                      of this repository; a relative path is resolved
//                      against the current directory)
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConfigServiceStub } from './stub.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const port = Number(process.env.CONFIG_STUB_PORT ?? 8081);
const host = process.env.CONFIG_STUB_HOST ?? '127.0.0.1';
const rulesFile = process.env.CONFIG_STUB_RULES
  ? resolve(process.cwd(), process.env.CONFIG_STUB_RULES)
  : resolve(repoRoot, 'config/notification-rules.json');

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`config-service-stub: invalid CONFIG_STUB_PORT ${process.env.CONFIG_STUB_PORT ?? ''}`);
  process.exit(2);
}

const stamp = (): string => new Date().toISOString();
const stub = await startConfigServiceStub({
  port,
  host,
  rulesFile,
  log: (line) => console.log(`${stamp()} ${line}`),
});
console.log(`${stamp()} config-service-stub listening on ${stub.url} (rules: ${rulesFile})`);

const shutdown = (signal: string): void => {
  console.log(`${stamp()} ${signal} received, closing`);
  stub.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
