/**
 * A Map bounded to `maxEntries` that forgets the least recently used key first.
 * Relies on Map keeping insertion order: a read moves the key to the end.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();
  /**
   * The keys, oldest first, from where the last eviction stopped: every key before that point is
   * gone (evicted, or moved to the end by a read or write). A fresh `keys()` per eviction would walk
   * again over the deleted slots V8 leaves at the front until it rehashes, up to the map's size.
   */
  private oldest: Iterator<K> = this.entries.keys();

  constructor(private readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.oldest.next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  /** The value of `key`, removed from the map. */
  take(key: K): V | undefined {
    const value = this.entries.get(key);
    this.entries.delete(key);
    return value;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.oldest = this.entries.keys();
  }
}
