import type { ReadModelName, ReadModelWrite } from '../../src/domain/projections.js';

type Doc = Record<string, unknown>;

const setPath = (doc: Doc, path: string, value: unknown): void => {
  const parts = path.split('.');
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
    target = target[part] as Doc;
  }
  target[parts[parts.length - 1]!] = value;
};

const getPath = (doc: Doc, path: string): unknown =>
  path.split('.').reduce<unknown>((v, part) => (typeof v === 'object' && v !== null ? (v as Doc)[part] : undefined), doc);

/** Applies ReadModelWrites the way the MongoDB adapter does, for tests without a database. */
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
      let doc = docs.get(w.id);
      if (w.guard) {
        const applied = getPath(doc ?? {}, `applied.${w.guard.stream}`);
        if (!doc || (typeof applied === 'number' && applied >= w.guard.version)) continue;
      }
      if (!doc) {
        doc = { id: w.id };
        for (const [k, v] of Object.entries(w.onInsert ?? {})) setPath(doc, k, v);
        docs.set(w.id, doc);
      }
      for (const [k, v] of Object.entries(w.set)) setPath(doc, k, v);
      for (const [k, values] of Object.entries(w.push ?? {})) {
        const current = getPath(doc, k);
        setPath(doc, k, [...(Array.isArray(current) ? current : []), ...values]);
      }
    }
  }
}
