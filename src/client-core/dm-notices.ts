/**
 * What the clients say about encrypted DMs that are not plain text from an accepted device: one
 * place for these texts, so every view words them the same way (key changes: key-change-text.ts).
 */

import type { DmContent } from "./dm-reveal.ts";

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
