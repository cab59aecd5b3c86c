/** Why a DM cannot be shown as text: the views say so instead of showing its (empty) body. */
export type SealedKind =
  | "tampered"
  | "not-addressed"
  | "unknown-sender"
  | "unverified-device"
  | "replay";
