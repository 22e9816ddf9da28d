/** Appends items to the list a map keeps under key, creating it (in place: the limit's hot path). */
export const pushTo = <K, V>(map: Map<K, V[]>, key: K, ...items: readonly V[]): void => {
  const list = map.get(key);
  if (list) list.push(...items);
  else map.set(key, [...items]);
};
