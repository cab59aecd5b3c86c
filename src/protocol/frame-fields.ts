/**
 * The fields every group of frames shares (ids, seqs, names, a user reference), defined once so
 * that a room id or a client id is bounded the same way in every frame that carries one.
 */
import { z } from "zod";
import { CLIENT_ID_MAX, FILE_ID_PATTERN } from "./rules.ts";

export const requestId = z.string().min(1).max(64);
/** A reply's quote of the request id it answers. */
export const ref = z.string();
export const roomId = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
export const seq = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
// Bodies are checked in code points by the handler (INVALID_MESSAGE); this only bounds the work.
export const body = z.string().max(16_000);
export const userName = z.string().min(1).max(64);
// Stored and compared as text: a lone surrogate would be stored as U+FFFD, so two different ids
// could become one (and PostgreSQL cannot store NUL at all).
export const clientId = z
  .string()
  .min(1)
  .max(CLIENT_ID_MAX)
  .refine((s) => s.isWellFormed() && !s.includes("\u0000"), "not valid text");

export const fileId = z.string().regex(FILE_ID_PATTERN, "not a file id");

export const userRef = z.object({ id: z.int(), name: z.string() });
export type UserRef = z.infer<typeof userRef>;

export const userStatus = z.enum(["online", "away", "offline"]);
export type UserStatus = z.infer<typeof userStatus>;

/** Why a moderator acted or a room was deleted: shown to members and kept in the audit log. */
export const reason = z.string().max(500);
