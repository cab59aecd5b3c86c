/**
 * Who may register: open (anyone), invite (with a server invite code an admin made) or closed
 * (only admins create accounts). The mode set by an admin (stored) wins over --registration.
 * An invite code is spent in the same transaction that creates the account.
 */
import type { Store, UserRecord } from "../../db/store.ts";
import { ParleyError } from "../protocol/index.ts";
import { INVITE_CODE_PATTERN } from "./invitations.ts";

export type RegistrationMode = "open" | "invite" | "closed";
export const REGISTRATION_MODES: readonly RegistrationMode[] = ["open", "invite", "closed"];
export const REGISTRATION_KEY = "registration";

export function isRegistrationMode(value: string | undefined): value is RegistrationMode {
  return REGISTRATION_MODES.includes(value as RegistrationMode);
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("hex");
}

export class Registration {
  constructor(
    private readonly store: Store,
    /** --registration: the mode until an admin sets one. */
    private readonly configured: RegistrationMode,
  ) {}

  async mode(): Promise<RegistrationMode> {
    const stored = await this.store.setting(REGISTRATION_KEY);
    return isRegistrationMode(stored) ? stored : this.configured;
  }

  /** Refuses before any work (hashing) when the mode turns this registration away. */
  async admit(invite: string | undefined): Promise<void> {
    const mode = await this.mode();
    if (mode === "closed") throw new ParleyError("REGISTRATION_CLOSED");
    if (mode === "invite" && (invite === undefined || !INVITE_CODE_PATTERN.test(invite))) {
      throw new ParleyError("INVITE_NOT_FOUND", "This server registers with an invite code only.");
    }
  }

  /** Creates the account as the mode says; "taken" when the name is in use. */
  async create(
    name: string,
    passwordHash: string,
    now: number,
    invite: string | undefined,
  ): Promise<UserRecord | "taken"> {
    const mode = await this.mode();
    if (mode === "closed") throw new ParleyError("REGISTRATION_CLOSED");
    if (mode === "open") return this.store.createUser(name, passwordHash, now);
    if (invite === undefined) throw new ParleyError("INVITE_NOT_FOUND");
    const made = await this.store.registerWithInvite(
      await sha256Hex(invite),
      name,
      passwordHash,
      now,
    );
    if (made === "invalid") throw new ParleyError("INVITE_NOT_FOUND");
    return made;
  }
}
