/**
 * The key book: trust-on-first-use records of every user's device bundles, kept in an injected
 * store. Clients observe() each fresh set of bundles they fetch, announce what changed, and ask
 * before sending to a user whose trust is "changed". Operations run one at a time, and each is
 * saved before its result is returned.
 */
import type { DeviceBundle, VerifiedBundle } from "./bundle.ts";
import {
  emptyKeyBook,
  type KeyBookState,
  keyBookStateSchema,
  type Observation,
  observeDevices,
  recordedDevices,
  setTrust,
  type Trust,
  trustOf,
} from "./key-book-state.ts";
import type { KeyBookStore } from "./key-book-store.ts";

export interface KeyBook {
  /** Records the verified bundles just fetched for `user` and says how they changed. */
  observe(user: string, bundles: readonly VerifiedBundle[]): Promise<Observation>;
  /** After the safety numbers matched for the `seen` devices: trust becomes "verified". */
  markVerified(user: string, seen: readonly DeviceBundle[]): Promise<"updated" | "stale">;
  /** After the person accepted a change without comparing: trust becomes "unverified". */
  acknowledge(user: string, seen: readonly DeviceBundle[]): Promise<"updated" | "stale">;
  /** undefined for a user never observed. */
  trust(user: string): Trust | undefined;
  /** The recorded devices of a user: what to seal to and to check senders against. */
  devices(user: string): VerifiedBundle[];
  /** A copy of the state, as saved. */
  snapshot(): KeyBookState;
  /** Reads the state as stored again: another holder of a shared store changed it. */
  reload(): Promise<void>;
}

export type KeyBookOpen = { ok: true; book: KeyBook } | { ok: false; reason: "corrupt" };

/**
 * Loads the state from `store`. A store holding something that is not a key book is refused
 * rather than replaced: starting over would silently re-trust every key on first use again.
 * @param options.now  @default Date.now
 */
export async function openKeyBook(options: {
  store: KeyBookStore;
  now?: () => number;
}): Promise<KeyBookOpen> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const loaded = await store.load();
  let state: KeyBookState;
  if (loaded === undefined) state = emptyKeyBook();
  else {
    const parsed = keyBookStateSchema.safeParse(loaded);
    if (!parsed.success) return { ok: false, reason: "corrupt" };
    state = parsed.data;
  }

  let queue: Promise<unknown> = Promise.resolve();
  /** A shared store: what another holder saved since, read under its lock before a change. */
  async function readStored(): Promise<void> {
    const parsed = keyBookStateSchema.safeParse(await store.load());
    if (parsed.success) state = parsed.data;
  }
  /**
   * Runs `step` after every earlier operation (and, on a shared store, alone among its holders,
   * on the state as stored); the state moves only once the save succeeded.
   */
  function serial<T>(step: (s: KeyBookState) => { state: KeyBookState; value: T }): Promise<T> {
    const change = async () => {
      if (store.exclusive) await readStored();
      const { state: next, value } = step(state);
      if (next !== state) {
        await store.save(next);
        state = next;
      }
      return value;
    };
    const run = queue.then(() => (store.exclusive ? store.exclusive(change) : change()));
    queue = run.catch(() => undefined);
    return run;
  }

  const book: KeyBook = {
    observe: (user, bundles) =>
      serial((s) => {
        const { state: next, observation } = observeDevices(s, user, bundles, now());
        return { state: next, value: observation };
      }),
    markVerified: (user, seen) =>
      serial((s) => {
        const { state: next, result } = setTrust(s, user, "verified", seen);
        return { state: next, value: result };
      }),
    acknowledge: (user, seen) =>
      serial((s) => {
        const { state: next, result } = setTrust(s, user, "unverified", seen);
        return { state: next, value: result };
      }),
    trust: (user) => trustOf(state, user),
    devices: (user) => recordedDevices(state, user),
    snapshot: () => structuredClone(state),
    reload: () => {
      const run = queue.then(readStored);
      queue = run.catch(() => undefined);
      return run;
    },
  };
  return { ok: true, book };
}
