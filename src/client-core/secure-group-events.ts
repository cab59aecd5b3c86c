/** What SecureGroups reports to its listeners: group messages as opened, and membership changes. */
import type { MembershipCheck, TamperReason } from "../crypto/index.ts";
import type { Message } from "../protocol/index.ts";

/** What a group message turned out to hold on this device (as a DM's, dm-reveal.ts). */
export type GroupContent =
  | { kind: "text"; text: string }
  | { kind: "unverified-device"; text: string; device: string }
  | { kind: "replay"; firstSeq: number }
  | { kind: "tampered"; reason: TamperReason | "no-envelope" }
  | { kind: "not-addressed" }
  | { kind: "unknown-sender" };

export type Refusal = Extract<MembershipCheck, { ok: false }>["reason"] | "unknown-signer";

/** One membership event as this device judged it, with the line the timeline shows. */
export type MembershipChange =
  | { room: number; seq: number; outcome: "accepted"; version: number; text: string }
  | { room: number; seq: number; outcome: "rejected"; reason: Refusal; text: string };

export interface SecureGroupsEvents {
  message: (m: Message, content: GroupContent) => void;
  membership: (change: MembershipChange) => void;
}
