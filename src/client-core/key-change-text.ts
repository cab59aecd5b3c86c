/**
 * How every client words a change of keys: the line a key change leaves in the DMs it concerns
 * (the browser's, without commands; the terminal's, with the commands to type), whether it must
 * stop the user, and the alert a DM shows while new keys wait to be accepted. One module, so
 * the terminal and the browser say the same thing.
 */
import type { KeyChange } from "./key-directory.ts";

/** Whether a key change must stop the user (loud) or is only worth a line. */
export function keyChangeIsLoud(k: KeyChange): boolean {
  const kind = k.observation.kind;
  return (
    k.observation.trust === "changed" ||
    kind === "rollback" ||
    kind === "fork" ||
    kind === "unlisted-device"
  );
}

/** What changed, in one sentence without commands (the browser adds its own buttons). */
export function keyChangeSummary(k: KeyChange): string {
  const who = k.self ? "your own account" : k.user.name;
  const device = k.device ?? k.observation.changes[0]?.device ?? "?";
  switch (k.observation.kind) {
    case "identity-changed":
      return `⚠ Security: the account key of ${who} changed (a reset, or someone in between). Its devices are shown as unverified until you accept it.`;
    case "rollback":
      return `⚠ Security: the server showed an older device list of ${who} than one already seen; the newer one is kept.`;
    case "fork":
      return `⚠ Security: the server showed a different device list of ${who} at a version already seen; the first one is kept.`;
    case "unlisted-device":
      return k.self
        ? `⚠ A device (${device}) wants to join your account: approve it from a linked device if it is yours.`
        : `⚠ The server lists a device of ${who} (${device}) that ${who}'s account did not sign: its messages show as from an unverified device.`;
    case "key-changed":
      return `Keys: ${who} replaced the keys of a device (signed by the account key).`;
    case "device-added":
      return `Keys: a new device was added to ${who} (signed by the account key).`;
    case "device-removed":
      return `Keys: a device was removed from ${who}.`;
    default:
      return `Keys of ${who}: ${k.observation.kind}.`;
  }
}

/** How the terminal announces a change of someone's keys (or one's own), with what to do. */
export function keyChangeText(k: KeyChange): string {
  const summary = keyChangeSummary(k).replace("⚠ Security", "⚠ SECURITY");
  const name = k.user.name;
  if (k.observation.kind === "identity-changed") {
    const waiting = k.self ? "Messages you send" : `Messages to ${name}`;
    const compare = k.self ? "" : ` (compare first with /verify ${name})`;
    return `${summary} ${waiting} wait until you type /trust ${name}${compare}.`;
  }
  if (k.observation.kind === "unlisted-device" && k.self) {
    return `${summary} Type /link to see its code and approve it.`;
  }
  return summary;
}

/** The notice a key change leaves in each DM it concerns, and whether it waits for the user. */
export function keyChangeNotice(k: KeyChange): { text: string; loud: boolean } {
  return { text: keyChangeSummary(k), loud: keyChangeIsLoud(k) };
}

/**
 * The alert above a DM while keys wait to be accepted: the other person's ("peer") or a new
 * device on one's own account ("self"). The browser offers two buttons next to it: compare
 * safety numbers, and accept.
 */
export function keyAlertText(change: "peer" | "self", peer: string): string {
  return change === "peer"
    ? `⚠ ${peer}'s encryption keys changed (a reinstall, a new device, or someone in between). Messages to ${peer} wait until you accept the new keys: compare safety numbers first if you can.`
    : "⚠ Your own account has a new or changed device. If that was not you, someone may be reading along. Your messages wait until you accept it.";
}
