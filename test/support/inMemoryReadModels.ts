import { applyWrite, type ReadModelName, type ReadModelWrite } from '../../src/domain/projections.js';

type Doc = Record<string, unknown>;

/** Read models in memory, applying writes with the same meaning as the MongoDB adapter. */
export class InMemoryReadModels {
  readonly collections = new Map<ReadModelName, Map<string, Doc>>();

  get(collection: ReadModelName, id: string): Doc | undefined {
    return this.collections.get(collection)?.get(id);
  }

  all(collection: ReadModelName): Doc[] {
    return [...(this.collections.get(collection)?.values() ?? [])];
  }

  apply(writes: readonly ReadModelWrite[]): void {
    for (const w of writes) {
      let docs = this.collections.get(w.collection);
      if (!docs) this.collections.set(w.collection, (docs = new Map()));
      const next = applyWrite(docs.get(w.id), w);
      if (next) docs.set(w.id, next);
    }
  }
}
