/** Appends items to the list a map keeps under key, creating it; in place, since the limit calls it per document. */
export const pushTo = <K, V>(map: Map<K, V[]>, key: K, ...items: readonly V[]): void => {
  const list = map.get(key);
  if (list) list.push(...items);
  else map.set(key, [...items]);
};
