import * as E from 'fp-ts/lib/Either.js';
import { loadEnvironment } from '../infra/envFile.js';
import { createLogger } from '../infra/logger.js';
import { decodeSettings } from '../infra/settings.js';
import { createWiring, type Wiring } from '../wiring.js';

/** What CLI commands use: the service's own wiring of adapters, each client opened on first use and closed at the end. */
export type CliContext = Wiring;

export const createCliContext = (env: NodeJS.ProcessEnv = process.env): CliContext => {
  const decoded = decodeSettings(loadEnvironment(env));
  if (E.isLeft(decoded)) throw new Error(decoded.left.replace(/\n\s*/g, '; '));
  const settings = decoded.right;
  // Commands print their results on stdout; the service's own logs go to stderr, warnings only.
  const logger = createLogger(settings.logLevel === 'info' ? 'warn' : settings.logLevel, process.stderr);
  return createWiring(settings, logger, { role: 'cli' });
};
