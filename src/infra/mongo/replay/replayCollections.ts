import type { Db } from 'mongodb';
import { ReadModelNames, type ReadModelName } from '../../../domain/projections.js';
import type { IndexOptions } from '../indexes.js';
import { ensureReadModelIndexes } from '../readModelStore.js';

/** Where a replay run builds its read models: `replay_<run>_<read model>`. */
export const freshPrefix = (run: string): string => `replay_${run}_`;

/** Where a replay run keeps the read models it replaced: `<read model>__before_replay_<run>`. */
export const asideName = (name: ReadModelName, run: string): string => `${name}__before_replay_${run}`;

const HALF_BUILT = /^replay_\d+_/;

/** MongoDB's and FerretDB's code for a rename onto an existing name. */
const NAMESPACE_EXISTS = 48;

const collectionNames = async (db: Db): Promise<Set<string>> =>
  new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));

/** Creates a run's empty collections with their indexes (created explicitly: with constraints only, no index creates them). */
export const createFresh = async (db: Db, run: string, options: IndexOptions): Promise<void> => {
  const existing = await collectionNames(db);
  for (const name of ReadModelNames)
    if (!existing.has(`${freshPrefix(run)}${name}`)) await db.createCollection(`${freshPrefix(run)}${name}`);
  await ensureReadModelIndexes(db, freshPrefix(run), options);
};

/** Drops the half-built collections of one run, or of every run (those an interrupted or killed replay left). */
export const dropHalfBuilt = async (db: Db, run?: string): Promise<string[]> => {
  const dropped = [...(await collectionNames(db))].filter((n) => (run === undefined ? HALF_BUILT.test(n) : n.startsWith(freshPrefix(run))));
  for (const name of dropped) await db.collection(name).drop();
  return dropped;
};

/**
 * Puts a run's collections in place of the live ones: each live one renamed aside, then the fresh
 * one renamed to the live name. Neither server swaps two names atomically, so between the two
 * renames a read finds the read model empty, and a service write to it creates a stray collection
 * under the live name (FerretDB refuses `dropTarget`, code 238): the stray is dropped and the
 * rename tried again. What the service wrote there is not lost: those events are beyond what the
 * replay projected, and the final catch-up applies them.
 */
export const swapIn = async (db: Db, run: string): Promise<string[]> => {
  const existing = await collectionNames(db);
  const aside: string[] = [];
  for (const name of ReadModelNames) {
    if (existing.has(name)) {
      await db.collection(name).rename(asideName(name, run));
      aside.push(asideName(name, run));
    }
    await renameOverStrays(db, `${freshPrefix(run)}${name}`, name);
  }
  return aside;
};

const renameOverStrays = async (db: Db, from: string, to: string, attempts = 10): Promise<void> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.collection(from).rename(to);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== NAMESPACE_EXISTS || attempt >= attempts) throw error;
      await db
        .collection(to)
        .drop()
        .catch(() => undefined);
    }
  }
};

/** Drops collections set aside by swapIn. */
export const dropAside = async (db: Db, names: readonly string[]): Promise<void> => {
  for (const name of names) await db.collection(name).drop();
};

/** The sets of read models earlier replays kept aside (named by asideName). */
export const keptAside = async (db: Db): Promise<string[]> =>
  [...(await collectionNames(db))].filter((n) => n.includes('__before_replay_')).sort();
