import { readdirSync, readlinkSync } from 'node:fs';
import { runStackScript, stackPid, type StackService } from '../../support/stack.js';

/**
 * Stopping and starting one server of the local stack for a fault (scripts/stack/down.sh and
 * up.sh; data survives). A server the stack did not start is left alone by down.sh, so the fault
 * could not be injected: that fails loudly instead of passing without a fault.
 */

/** True when scripts/stack/status.sh says the server answers. */
export const probeOnce = async (service: StackService): Promise<boolean> => (await runStackScript('status', service)).code === 0;

export const stopServer = async (service: StackService): Promise<void> => {
  const r = await runStackScript('down', service);
  if (r.code !== 0) throw new Error(`scripts/stack/down.sh ${service} failed (${r.code}): ${r.stdout}${r.stderr}`);
  if (/left alone/.test(r.stdout) || (await probeOnce(service))) {
    throw new Error(`${service} is still answering after scripts/stack/down.sh ${service} (not started by the stack?): ${r.stdout.trim()}`);
  }
};

export const startServer = async (service: StackService): Promise<void> => {
  const r = await runStackScript('up', service);
  if (r.code !== 0) throw new Error(`scripts/stack/up.sh ${service} failed (${r.code}): ${r.stdout}${r.stderr}`);
};

/** Starts a server if it is not answering (used by every scenario's teardown: leave the stack up). */
export const ensureServerUp = async (service: StackService): Promise<boolean> => {
  if (await probeOnce(service)) return false;
  await startServer(service);
  return true;
};

/**
 * How many SQLite connections the local FerretDB holds open on one database's file (read from
 * /proc/<pid>/fd of the stack's FerretDB); undefined when FerretDB is not the stack's own process.
 * FerretDB v1's SQLite pool holds at most 100 per database: at 100 with no progress the database is
 * wedged (see the 00-defaults scenario).
 */
export const ferretConnections = (dbName: string): number | undefined => {
  const pid = stackPid('mongo');
  if (pid === undefined) return undefined;
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith(`/${dbName}.sqlite`);
      } catch {
        return false;
      }
    }).length;
  } catch {
    return undefined;
  }
};

export const FERRET_POOL_SIZE = 100;
