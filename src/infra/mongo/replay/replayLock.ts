import { hostname } from 'node:os';
import type { Db } from 'mongodb';
import { isDuplicateKeyCode } from '../writeErrors.js';

/** One document says which replay runs: two replays at once would drop each other's collections. */
const LOCK_COLLECTION = 'casestream_replay_lock';
const LOCK_ID = 'replay';

interface LockDocument {
  _id: string;
  run: string;
  host: string;
  pid: number;
  started_at: Date;
  heartbeat: Date;
}

export interface ReplayLock {
  /** Says the run is alive; cheap to call often (written every few seconds at most). */
  heartbeat(): Promise<void>;
  release(): Promise<void>;
}

/** Another replay holds the lock and is alive. */
export class ReplayRunning extends Error {
  override readonly name = 'ReplayRunning';
}

const HEARTBEAT_EVERY_MS = 5_000;

/** The lock's holder ran on this host and its process is gone (a replay killed with SIGKILL). */
const deadHere = (held: LockDocument): boolean => {
  if (held.host !== hostname()) return false;
  try {
    process.kill(held.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

/**
 * Takes the replay lock (an insert: unique `_id` is the one atomic check on both servers). A lock
 * whose heartbeat is older than `staleAfterMs`, or whose process on this host is gone, belongs to a
 * run that was killed: it is taken over.
 */
export const acquireReplayLock = async (db: Db, run: string, staleAfterMs = 60_000): Promise<ReplayLock> => {
  const locks = db.collection<LockDocument>(LOCK_COLLECTION);
  const mine = (): LockDocument => ({
    _id: LOCK_ID,
    run,
    host: hostname(),
    pid: process.pid,
    started_at: new Date(),
    heartbeat: new Date(),
  });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await locks.insertOne(mine());
      break;
    } catch (error) {
      if (!isDuplicateKeyCode((error as { code?: unknown }).code)) throw error;
      if (attempt > 0) throw new ReplayRunning('another replay took over the stale replay lock first');
      const held = await locks.findOne({ _id: LOCK_ID });
      if (held && Date.now() - held.heartbeat.getTime() < staleAfterMs && !deadHere(held)) {
        throw new ReplayRunning(`another replay is running (pid ${held.pid} on ${held.host}, since ${held.started_at.toISOString()})`);
      }
      if (held) await locks.deleteOne({ _id: LOCK_ID, run: held.run });
    }
  }
  let last = Date.now();
  return {
    async heartbeat() {
      if (Date.now() - last < HEARTBEAT_EVERY_MS) return;
      last = Date.now();
      await locks.updateOne({ _id: LOCK_ID, run }, { $set: { heartbeat: new Date() } });
    },
    async release() {
      await locks.deleteOne({ _id: LOCK_ID, run });
    },
  };
};
