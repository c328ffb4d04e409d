/** A small least-recently-used map (Map keeps insertion order; a hit re-inserts). */
export class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.m.get(key);
    if (v !== undefined) {
      this.m.delete(key);
      this.m.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.m.delete(key);
    this.m.set(key, value);
    while (this.m.size > this.capacity) this.m.delete(this.m.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.m.delete(key);
  }

  /** The least recently used key, or undefined when empty. */
  oldest(): K | undefined {
    return this.m.keys().next().value as K | undefined;
  }

  get size(): number {
    return this.m.size;
  }
}
