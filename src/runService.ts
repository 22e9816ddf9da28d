import * as E from 'fp-ts/lib/Either.js';
import { loadEnvironment } from './infra/envFile.js';
import { createLogger, redactUrls } from './infra/logger.js';
import { decodeSettings, SettingsError } from './infra/settings.js';
import { startService } from './service.js';

/** Runs the service until SIGTERM/SIGINT; resolves with the process exit code. */
export const runService = async (): Promise<number> => {
  const settings = decodeSettings(loadEnvironment());
  if (E.isLeft(settings)) {
    process.stderr.write(`casestream: ${settings.left}\n`);
    return 2;
  }
  const logger = createLogger(settings.right.logLevel);
  const service = await startService(settings.right, logger);
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    void service.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await service.finished;
  await service.stop();
  return 0;
};

/** Exits the process with the code; with 2 and the message on a settings error; with 1 and the reason on a fatal error. */
export const exitWith = (run: Promise<number>): void => {
  run.then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof SettingsError) {
        process.stderr.write(`casestream: ${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`casestream: fatal: ${redactUrls(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
      process.exit(1);
    },
  );
};
