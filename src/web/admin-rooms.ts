/**
 * The admin page's rooms: each public room with Rename, Archive and Delete, as its owner has
 * them in the member panel (room-lifecycle.ts). Archiving and deleting are for good: asked
 * first. The server checks the admin's right again on every request.
 */
import { safeName } from "../client-core/display-text.ts";
import { h } from "./dom.ts";

export interface AdminRoom {
  id: number;
  name: string;
  members: number;
  archivedAt?: number | null;
}

/** Runs one admin request and re-renders; a refusal goes to the page's error line. */
export type AdminAct = (method: string, path: string, body?: unknown) => Promise<void>;

export function roomRows(rooms: readonly AdminRoom[], act: AdminAct): HTMLLIElement[] {
  return rooms.map((r) => {
    const label = `#${safeName(r.name)}`;
    const name = h("input", {
      type: "text",
      "aria-label": `New name for ${label}`,
      maxlength: "32",
      autocomplete: "off",
    });
    const button = (text: string, run: () => void) => {
      const b = h("button", { type: "button", class: "text-button" }, text);
      b.setAttribute("aria-label", `${text} ${label}`);
      b.addEventListener("click", run);
      return b;
    };
    const rename = button("Rename", () => {
      const value = name.value.trim().replace(/^#/, "");
      if (value) void act("PUT", `/api/rooms/${r.id}/name`, { name: value });
    });
    const archive = button("Archive", () => {
      if (globalThis.confirm(`Archive ${label} for good? It stays readable; nobody can write.`)) {
        void act("POST", `/api/rooms/${r.id}/archive`, {});
      }
    });
    const remove = button("Delete", () => {
      if (globalThis.confirm(`Delete ${label} and everything in it? This cannot be undone.`)) {
        void act("DELETE", `/api/admin/rooms/${r.id}`);
      }
    });
    const state = r.archivedAt ? " (archived)" : "";
    const members = `${r.members} ${r.members === 1 ? "member" : "members"}`;
    return h(
      "li",
      {},
      h("span", {}, `${label}${state} · ${members}`),
      ...(r.archivedAt ? [] : [name, rename, archive]),
      remove,
    );
  });
}
