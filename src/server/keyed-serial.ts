/**
 * Runs tasks one at a time per key (a user), in arrival order, so that a check and the write it
 * guards (a cap) cannot interleave with another task of the same key on this node. Keys with
 * nothing queued are forgotten.
 */
export class KeyedSerial<K> {
  private readonly tails = new Map<K, Promise<void>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = next.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
