import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from 'mongodb';
import { createRequestHandler, type ApiDependencies } from './api.js';
import { createMongoApiQueries, type ApiQueries } from '../mongo/caseQueries.js';

export interface HttpServerOptions extends Omit<ApiDependencies, 'queries'> {
  /** HTTP_PORT; 0 picks a free port (tests). */
  readonly port: number;
  /** Default `127.0.0.1`: beyond loopback only when asked (the service passes httpHost(settings)). */
  readonly host?: string;
  /** The casestream database (read models, domain_events, raw_events, command_results). */
  readonly db: Db;
  /** Replaces the MongoDB queries on `db` (tests). */
  readonly queries?: ApiQueries;
  /** On close, how long open requests may take before their connections are cut (default 5000 ms). */
  readonly closeGraceMs?: number;
}

export interface RunningHttpServer {
  /** The port listened on (the chosen one when `port` was 0). */
  readonly port: number;
  /** Stops accepting connections, lets requests in progress finish (within closeGraceMs), closes idle keep-alive connections. */
  close(): Promise<void>;
}

/** Starts the health, metrics and REST API server on node:http; resolves once it listens. */
export const startHttpServer = async (options: HttpServerOptions): Promise<RunningHttpServer> => {
  const handler = createRequestHandler({ ...options, queries: options.queries ?? createMongoApiQueries(options.db) });
  const server: Server = createServer(
    {
      // Slow clients must not hold sockets forever.
      requestTimeout: 30_000,
      headersTimeout: 10_000,
      keepAliveTimeout: 5_000,
    },
    handler,
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.error({ error: error.message }, 'http server error'));
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host, port }, 'http server listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 5000);
      grace.unref();
      server.close(() => {
        clearTimeout(grace);
        resolve();
      });
      server.closeIdleConnections();
    }));
  return { port, close };
};
