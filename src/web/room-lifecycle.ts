/**
 * The room owner's lifecycle tools in the member panel: rename the room, and archive it (for
 * good, read-only for everyone, after a confirmation). The server checks the right again
 * (owner or server admin); a refusal's message goes to the panel's error line.
 */
import { h } from "./dom.ts";

export interface RoomLifecycleHooks {
  rename(room: number, name: string): Promise<void>;
  archive(room: number): Promise<void>;
}

/** The tools for `room`, shown to its owner; `done` re-renders, `fail` shows a refusal. */
export function lifecycleTools(
  room: number,
  hooks: RoomLifecycleHooks,
  done: () => void,
  fail: (message: string) => void,
): Node[] {
  const name = h("input", {
    type: "text",
    name: "room-name",
    "aria-label": "New room name",
    maxlength: "32",
    autocomplete: "off",
  });
  const rename = h("button", { type: "button" }, "Rename room");
  const report = (err: unknown) => fail(err instanceof Error ? err.message : String(err));
  rename.addEventListener("click", () => {
    const value = name.value.trim().replace(/^#/, "");
    if (!value) return fail("Type the room's new name first.");
    void hooks.rename(room, value).then(done, report);
  });
  const archive = h("button", { type: "button" }, "Archive room");
  archive.addEventListener("click", () => {
    // Archiving cannot be undone: ask first.
    if (
      !globalThis.confirm(
        "Archive this room for good? Everyone can still read it, nobody can write.",
      )
    ) {
      return;
    }
    void hooks.archive(room).then(done, report);
  });
  return [name, rename, archive];
}
