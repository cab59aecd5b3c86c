/**
 * Errors for misuse of the E2EE module: programming mistakes and unusable local keys. They never
 * cross the wire (a client maps them to its own messages). Outcomes that untrusted input can cause,
 * such as a tampered envelope or a bad bundle signature, are returned as values instead.
 */

export const CRYPTO_ERRORS = {
  NOT_EXTRACTABLE: "The identity's private keys are not extractable, so they cannot be exported.",
  DUPLICATE_DEVICE: "The same device appears twice with different keys.",
  TOO_MANY_DEVICES: "Too many recipient devices for one envelope.",
  TEXT_TOO_LARGE: "The message is larger than an envelope may carry.",
  INVALID_ID: "User, device and conversation ids must be 1 to 64 characters (conversations 128).",
  USER_MISMATCH: "A bundle belongs to a different user than the one it was given for.",
} as const;

export type CryptoErrorCode = keyof typeof CRYPTO_ERRORS;

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message?: string) {
    super(message ?? CRYPTO_ERRORS[code]);
    this.name = "CryptoError";
    this.code = code;
  }
}
