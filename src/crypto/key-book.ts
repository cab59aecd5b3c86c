/**
 * The key book: each user's account identity key pinned on first use, and the devices of the
 * highest signed list seen under it, kept in an injected store. Clients observe() each signed
 * list they fetch, announce what changed, and ask before sending to a user whose trust is
 * "changed". Operations run one at a time, and each is saved before its result is returned.
 */
import type { VerifiedBundle } from "./bundle.ts";
import type { VerifiedDeviceList } from "./device-list.ts";
import { holds, type Sighting, sight } from "./key-book-replays.ts";
import {
  emptyKeyBook,
  identityOf,
  type KeyBookState,
  type Observation,
  observeList,
  parseKeyBook,
  recordedDevices,
  setTrust,
  type Trust,
  trustOf,
} from "./key-book-state.ts";
import type { KeyBookStore } from "./key-book-store.ts";

export interface KeyBook {
  /**
   * Records the signed list just fetched for `user` (verified for that user by
   * verifyDeviceList; undefined when the server gave none) and says how it compares.
   */
  observe(user: string, list: VerifiedDeviceList | undefined): Promise<Observation>;
  /** After the safety numbers matched for identity key `seenKey`: trust becomes "verified". */
  markVerified(user: string, seenKey: string): Promise<"updated" | "stale">;
  /** After the person accepted `seenKey` without comparing: trust becomes "unverified". */
  acknowledge(user: string, seenKey: string): Promise<"updated" | "stale">;
  /** undefined for a user never observed. */
  trust(user: string): Trust | undefined;
  /** The pinned identity key, a new one waiting for acceptance, and any list alarm. */
  identity(user: string): ReturnType<typeof identityOf>;
  /** The devices the pinned signed list accepts: what to seal to and whose words to show. */
  devices(user: string): VerifiedBundle[];
  /**
   * Records that the envelope `key` (envelopeKey()) was opened at `seq` in `conversation`:
   * "new" the first time, "same" at the same seq again (history reloaded), "replay" at another.
   */
  sight(conversation: string, key: string, seq: number): Promise<Sighting>;
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
    const parsed = parseKeyBook(loaded);
    if (!parsed) return { ok: false, reason: "corrupt" };
    state = parsed;
  }

  /** The replay memory as loaded, and what this holder sighted since: what it has shown. */
  const openedWith = state.replays;
  const sightedHere = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();
  /** A shared store: what another holder saved since, read under its lock before a change. */
  async function readStored(): Promise<void> {
    const parsed = parseKeyBook(await store.load());
    if (parsed) state = parsed;
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
    observe: (user, list) =>
      serial((s) => {
        const { state: next, observation } = observeList(s, user, list, now());
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
    sight: (conversation, key, seq) =>
      serial((s) => {
        const { replays, sighting } = sight(s.replays, conversation, key, seq);
        // Known here: loaded at open, or sighted by this holder. Otherwise another tab saved it
        // meanwhile, and this tab must still show it (it is "same" only to the store).
        const here =
          sightedHere.has(`${conversation}\n${key}`) || holds(openedWith, conversation, key);
        sightedHere.add(`${conversation}\n${key}`);
        const value: Sighting =
          sighting.kind === "same" && !here ? { kind: "same", elsewhere: true } : sighting;
        return { state: replays === s.replays ? s : { ...s, replays }, value };
      }),
    trust: (user) => trustOf(state, user),
    identity: (user) => identityOf(state, user),
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
