/**
 * The listeners of a client-core part's events (the connection's, SecureDm's), by event name,
 * called in the order they were added.
 */
export class Listeners<E extends { [K in keyof E]: (...args: never[]) => void }> {
  private readonly sets = new Map<keyof E, Set<E[keyof E]>>();

  /** Adds a listener; the function returned removes it. */
  on<K extends keyof E>(event: K, fn: E[K]): () => void {
    let set = this.sets.get(event);
    if (!set) {
      set = new Set();
      this.sets.set(event, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.sets.get(event);
    if (!set) return;
    for (const fn of set) (fn as (...a: Parameters<E[K]>) => void)(...args);
  }
}
