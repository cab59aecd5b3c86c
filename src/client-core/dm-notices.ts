/**
 * What the terminal says about encrypted DMs that are not plain text from an accepted device,
 * and about key changes: one place for these texts, so every view words them the same way.
 */

import type { DmContent } from "./dm-reveal.ts";
import type { KeyChange } from "./key-directory.ts";

/** The line shown in place of a DM's text; undefined for plain text from an accepted device. */
export function dmNotice(content: DmContent, sender: string): string | undefined {
  switch (content.kind) {
    case "text":
      return undefined;
    case "tampered":
      return "⚠ tampered message: it was altered or forged, so it is not shown";
    case "not-addressed":
      return "(not encrypted for this device)";
    case "unknown-sender":
      return "(sent from a device whose keys are unknown: not shown)";
    case "replay":
      return `⚠ a replayed copy of an earlier message (#${content.firstSeq}), delivered again: not shown as new`;
    case "unverified-device":
      // Not the text, even quoted: it would read as theirs. Once the device is linked, /history
      // shows it as their words.
      return `⚠ from an unverified device of ${sender} (${content.device}, not in ${sender}'s signed device list): not shown. If it is ${sender}'s new device, they approve it with /link; compare safety numbers with /verify ${sender}.`;
  }
}

/** The warning under a DM whose signed time (shown) and the server's time differ a lot. */
export function skewNotice(signedTs: number, serverTs: number): string {
  const minutes = Math.round(Math.abs(serverTs - signedTs) / 60_000);
  const which = serverTs > signedTs ? "later" : "earlier";
  return `⚠ The time shown is the sender's signed time; the server stored it ${minutes} min ${which}. The sender's clock may be wrong, or the message was held back.`;
}

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
