/**
 * How a group's accepted membership version reads in a timeline, in both clients: "alice created
 * the group with bob, carol", "alice added carol", "alice removed carol", "bob left", "bob
 * became admin; alice is no longer admin".
 */
import type { VerifiedMembership } from "../crypto/index.ts";

/** The timeline's line for an accepted version: "alice added carol", "bob left". */
export function describe(
  next: VerifiedMembership,
  prev: VerifiedMembership | undefined,
  name: (user: string) => string,
): string {
  const by = name(next.by.u);
  const list = (users: string[]) => users.map(name).join(", ");
  if (!prev) {
    const others = next.members.filter((u) => u !== next.by.u);
    return others.length > 0
      ? `${by} created the group with ${list(others)}`
      : `${by} created the group`;
  }
  const added = next.members.filter((u) => !prev.members.includes(u));
  const removed = prev.members.filter((u) => !next.members.includes(u));
  const parts: string[] = [];
  if (added.length > 0) parts.push(`${by} added ${list(added)}`);
  if (removed.length === 1 && removed[0] === next.by.u) parts.push(`${by} left`);
  else if (removed.length > 0) parts.push(`${by} removed ${list(removed)}`);
  const madeAdmin = next.admins.filter((u) => !prev.admins.includes(u) && !added.includes(u));
  if (madeAdmin.length > 0) parts.push(`${list(madeAdmin)} became admin`);
  const demoted = prev.admins.filter((u) => !next.admins.includes(u) && next.members.includes(u));
  if (demoted.length > 0) parts.push(`${list(demoted)} is no longer admin`);
  return parts.length > 0 ? parts.join("; ") : `${by} signed version ${next.version}`;
}
