import type { ReadModelWrite } from '../../domain/projections.js';

type Doc = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sets a path of a document this module builds. A plain name is set in place; a dotted one goes
 * through copies of its objects, as applyWrite does, because they may be a write's own values.
 */
const setIn = (doc: Doc, path: string, value: unknown): void => {
  let dot = path.indexOf('.');
  if (dot < 0) {
    doc[path] = value;
    return;
  }
  let target = doc;
  let from = 0;
  for (; dot >= 0; dot = path.indexOf('.', from)) {
    const part = path.slice(from, dot);
    const next = target[part];
    target = target[part] = isPlainObject(next) ? { ...next } : {};
    from = dot + 1;
  }
  target[path.slice(from)] = value;
};

const getIn = (doc: Doc, path: string): unknown => {
  if (!path.includes('.')) return doc[path];
  let v: unknown = doc;
  for (const part of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Doc)[part] : undefined;
  return v;
};

/**
 * The read-model document that unguarded writes to one id create, with `_id` = that id: what
 * folding them with applyWrite from no document gives (the same fields in the same order), built
 * in one object rather than a copy per write and a last one for `_id`. On the hot path every new
 * case's documents are built here, so that is one object per document instead of several.
 */
export const createdDocument = (id: string, writes: readonly ReadModelWrite[]): Doc & { _id: string } => {
  const doc: Doc = { id };
  writes.forEach((w, i) => {
    if (i === 0) for (const k in w.onInsert) setIn(doc, k, w.onInsert[k]);
    for (const k in w.set) setIn(doc, k, w.set[k]);
    for (const k in w.max) {
      const v = w.max[k]!;
      const current = getIn(doc, k);
      if (typeof current !== 'number' || current < v) setIn(doc, k, v);
    }
    for (const k in w.push) {
      const current = getIn(doc, k);
      setIn(doc, k, [...(Array.isArray(current) ? current : []), ...w.push[k]!]);
    }
  });
  doc._id = id;
  return doc as Doc & { _id: string };
};
