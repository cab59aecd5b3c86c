/**
 * What one group message shows on this device (docs/e2ee.md 12), as dm-reveal.ts for a DM: it
 * is opened with the members of the version in effect when it was stored as its only possible
 * participants; a replay is flagged (the sightings, section 8c); a device outside the sender's
 * accepted list gives "unverified-device", never the sender's words; an edited message from a
 * history page carries its latest edit's envelope, shown only when that is an edit of this very
 * message by its author (sealed-change.ts). As a DM's, its content key goes into the key backup
 * when first opened, and one not sealed for this device is opened with a restored key if the
 * backup holds one (docs/e2ee.md 11).
 */
import { envelopeKey, open, type VerifiedMembership } from "../crypto/index.ts";
import { groupConversation, type Message } from "../protocol/index.ts";
import type { KeyBackupSync, OpenedKey } from "./key-backup-sync.ts";
import { parseSealedChange } from "./sealed-change.ts";
import type { SecureDmKeys } from "./secure-dm-keys.ts";
import type { GroupContent } from "./secure-group-events.ts";

export type Revealed = { message: Message; content: GroupContent } | undefined;

type Versions = readonly { seq: number; m: VerifiedMembership }[];

/** Who may have sealed or been addressed by `m`: the members of the version in effect then. */
function participantsOf(m: Message, versions: Versions): readonly string[] | undefined {
  const from = versions.findLastIndex((v) => v.seq < m.seq);
  if (from < 0) return undefined;
  // An edit was sealed later than its message, under the version in effect then: any since.
  if (m.edited !== undefined) return [...new Set(versions.slice(from).flatMap((v) => v.m.members))];
  return versions[from]?.m.members;
}

/** The content key of a stored group message this device opens, for the backup's backfill. */
export async function groupContentKey(
  m: Message,
  keys: SecureDmKeys,
  versions: Versions,
): Promise<OpenedKey | undefined> {
  const participants = participantsOf(m, versions);
  if (m.envelope === undefined || !participants) return undefined;
  let key: Uint8Array<ArrayBuffer> | undefined;
  const conversation = groupConversation(m.room);
  const sender = m.envelope.from.u;
  const result = await open(m.envelope, {
    me: keys.identity,
    conversation,
    senders: [...keys.directory.accepted(sender), ...keys.directory.unverified(sender)],
    participants,
    onContentKey: (k) => {
      key = k;
    },
  });
  if (result.outcome !== "opened" || !key) return undefined;
  return { conv: conversation, from: result.from, id: result.id, key };
}

/**
 * Opens `m` against the accepted `versions` of its group (oldest first, with their seqs); `live`:
 * undefined for a repeat delivery of one shown already.
 */
export async function revealGroupMessage(
  m: Message,
  keys: SecureDmKeys,
  versions: Versions,
  live: boolean,
  backup?: KeyBackupSync,
): Promise<Revealed> {
  const say = (content: GroupContent) => ({ message: { ...m, body: "" }, content });
  if (m.envelope === undefined) return say({ kind: "tampered", reason: "no-envelope" });
  const participants = participantsOf(m, versions);
  // Stored before any accepted version: nobody was a participant yet.
  if (!participants) return say({ kind: "tampered", reason: "participants" });
  const edited = m.edited !== undefined;
  const conversation = groupConversation(m.room);
  const sender = m.envelope.from.u;
  let contentKey: Uint8Array<ArrayBuffer> | undefined;
  const options = () => ({
    onContentKey: (k: Uint8Array<ArrayBuffer>) => {
      contentKey = k;
    },
    me: keys.identity,
    conversation,
    senders: [...keys.directory.accepted(sender), ...keys.directory.unverified(sender)],
    participants,
  });
  let result = await open(m.envelope, options());
  if (result.outcome === "unknown-sender" && /^[0-9]{1,15}$/.test(sender)) {
    await keys.directory.refresh([Number(sender)]).catch(() => {});
    result = await open(m.envelope, options());
  }
  if (result.outcome === "not-addressed" && backup) {
    // Sealed before this device was linked: the key backup may hold its content key.
    const e = m.envelope;
    for (const restored of backup.keysFor(conversation, { user: sender, device: e.from.d }, e.id)) {
      const again = await open(e, { ...options(), contentKey: restored });
      if (again.outcome === "opened") {
        result = again;
        break;
      }
    }
  }
  if (result.outcome === "tampered") return say({ kind: "tampered", reason: result.reason });
  if (result.outcome !== "opened") return say({ kind: result.outcome });
  let text = result.text;
  if (edited) {
    const change = parseSealedChange(result.text);
    const byAuthor = result.from.user === String(m.from.id);
    if (change?.kind !== "edit" || change.target !== m.seq || !byAuthor) {
      return say({ kind: "tampered", reason: "no-envelope" });
    }
    text = change.body;
  }
  // An edit's envelope was sighted at the edit's own seq.
  const sighting = edited
    ? ({ kind: "new" } as const)
    : await keys.book.sight(conversation, envelopeKey(result.from, result.id), m.seq);
  if (sighting.kind === "new" && contentKey) {
    backup?.record(conversation, result.from, result.id, contentKey);
  }
  if (sighting.kind === "same" && !sighting.elsewhere && live) return undefined;
  if (sighting.kind === "replay") return say(sighting);
  const accepted = keys.directory
    .accepted(result.from.user)
    .some((b) => b.device === result.from.device);
  if (!accepted) return say({ kind: "unverified-device", text, device: result.from.device });
  return { message: { ...m, body: text, ts: result.at }, content: { kind: "text", text } };
}
