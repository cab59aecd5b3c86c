/**
 * The IRCv3 capabilities the gateway offers, in one registry (as ergo's irc/caps), and the
 * negotiation state of one connection. A capability is on only once the client asked for it.
 */

export const CAPABILITIES = {
  "account-tag": "",
  "away-notify": "",
  batch: "",
  "cap-notify": "",
  "draft/channel-rename": "",
  "draft/chathistory": "",
  "draft/message-redaction": "",
  "echo-message": "",
  "labeled-response": "",
  "message-tags": "",
  sasl: "PLAIN",
  "server-time": "",
} as const;

export type Capability = keyof typeof CAPABILITIES;

function isCapability(name: string): name is Capability {
  return Object.hasOwn(CAPABILITIES, name);
}

/** `CAP LS` entries; with 302 and up, values (sasl=PLAIN) are included. */
export function advertised(version: number): string[] {
  return Object.entries(CAPABILITIES).map(([name, value]) =>
    version >= 302 && value !== "" ? `${name}=${value}` : name,
  );
}

export type Negotiation = "none" | "negotiating" | "done";

export class CapSet {
  private readonly on = new Set<Capability>();
  /** Registration waits while negotiating: between CAP LS/REQ and CAP END. */
  state: Negotiation = "none";
  version = 0;

  has(cap: Capability): boolean {
    return this.on.has(cap);
  }

  /**
   * Applies a CAP REQ: all of it or none of it, as the spec requires. "-name" turns one off.
   * Returns false (a NAK) if any name is unknown.
   */
  request(list: string): boolean {
    const changes: [Capability, boolean][] = [];
    for (const raw of list.split(" ")) {
      if (raw === "") continue;
      const off = raw.startsWith("-");
      const name = off ? raw.slice(1) : raw;
      if (!isCapability(name)) return false;
      // cap-notify is implied from 302 on and cannot be turned off then.
      if (off && name === "cap-notify" && this.version >= 302) return false;
      changes.push([name, !off]);
    }
    if (changes.length === 0) return false;
    for (const [name, enable] of changes) {
      if (enable) this.on.add(name);
      else this.on.delete(name);
    }
    return true;
  }

  /** CAP LS 302 implies cap-notify. */
  listed(version: number): void {
    this.version = Math.max(this.version, version);
    if (version >= 302) this.on.add("cap-notify");
  }

  enabled(): string[] {
    return [...this.on];
  }
}
