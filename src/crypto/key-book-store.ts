/**
 * Where a key book keeps its state. The terminal client implements it with a 0600 JSON file, the
 * browser with IndexedDB; the memory store here serves tests and short-lived sessions.
 */
import type { KeyBookState } from "./key-book-state.ts";

export interface KeyBookStore {
  /** The saved state as it was stored (validated by the key book), or undefined if none yet. */
  load(): Promise<unknown>;
  /** Replaces the saved state; the key book calls it after every change and waits for it. */
  save(state: KeyBookState): Promise<void>;
  /**
   * Given where several holders share the store (tabs of one browser): runs `step` while no
   * other holder runs one. The key book then reads the stored state afresh at the start of each
   * change, so a change made elsewhere is built on, never overwritten.
   */
  exclusive?<T>(step: () => Promise<T>): Promise<T>;
}

/** A store in memory; `saved()` shows what a real store would have written. */
export function memoryKeyBookStore(initial?: unknown): KeyBookStore & { saved(): unknown } {
  let data: string | undefined = initial === undefined ? undefined : JSON.stringify(initial);
  return {
    async load() {
      return data === undefined ? undefined : JSON.parse(data);
    },
    async save(state) {
      // Through JSON, as a file or IndexedDB would: a state that does not survive it is a bug.
      data = JSON.stringify(state);
    },
    saved() {
      return data === undefined ? undefined : JSON.parse(data);
    },
  };
}
