/**
 * A least-recently-used map (Map keeps insertion order; a hit re-inserts), bounded by the sum
 * of its values' weights: by count (every weight 1, the default) or, with `weight`, by size.
 */
export class Lru<K, V> {
  private readonly m = new Map<K, V>();
  private used = 0;
  /**
   * @param capacity the most total weight kept; 0 keeps nothing.
   * @param weight a value's weight (default 1), e.g. its bytes.
   */
  constructor(
    readonly capacity: number,
    private readonly weight: (v: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const v = this.m.get(key);
    if (v !== undefined) {
      this.m.delete(key);
      this.m.set(key, v);
    }
    return v;
  }

  /** Keeps `value` unless it alone outweighs the capacity; evicts the least recently used until it fits. */
  set(key: K, value: V): void {
    this.delete(key);
    const w = this.weight(value);
    if (w > this.capacity || this.capacity <= 0) return;
    while (this.used + w > this.capacity) this.delete(this.m.keys().next().value as K);
    this.m.set(key, value);
    this.used += w;
  }

  delete(key: K): boolean {
    const old = this.m.get(key);
    if (old === undefined) return false;
    this.m.delete(key);
    this.used -= this.weight(old);
    return true;
  }

  /** The least recently used key, or undefined when empty. */
  oldest(): K | undefined {
    return this.m.keys().next().value as K | undefined;
  }

  /** Total weight held (the count, by default). */
  get weightHeld(): number {
    return this.used;
  }

  get size(): number {
    return this.m.size;
  }
}
