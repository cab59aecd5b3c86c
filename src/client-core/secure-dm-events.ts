/** What SecureDm reports to its listeners, and the outcomes of starting it and of trusting keys. */
import type { Message, UserRef } from "../protocol/index.ts";
import type { DmContent } from "./dm-reveal.ts";
import type { KeyChange } from "./key-directory.ts";

export interface SecureDmEvents {
  /** A DM message, opened; in seq order per conversation. `from` is who sealed it. */
  message: (m: Message, content: DmContent) => void;
  /** A person's devices changed (added, replaced or removed) since they were last recorded. */
  keys: (change: KeyChange) => void;
  /** A message waits until its sender accepts a key change with trust(). */
  held: (peer: UserRef, body: string) => void;
  /** Something to tell the user that belongs to no message (a bad bundle, for instance). */
  problem: (text: string) => void;
}

export type StartResult =
  | { ok: true }
  | { ok: false; reason: "identity-damaged" | "identity-foreign" | "key-book-corrupt" };

export type TrustResult = "updated" | "stale" | "unknown-user";
