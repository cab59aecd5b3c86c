/**
 * The terminal's file commands: /upload PATH shares a file in the room, DM or group on screen
 * (in a DM or a group encrypted first, its descriptor sealed as the message), and /download ID
 * [DEST] saves one that was shown, decrypting and checking a sealed one. Files shown in this session are remembered by id, with what it takes to read them.
 */
import { stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { formatBytes, type SharedFile, TransferError } from "../client-core/file-transfer.ts";
import type { ChatContext, Command } from "./chat-command.ts";

/** A name that is safe to create in a directory: no separators, controls or leading dots. */
export function safeFileName(name: string, fallback: string): string {
  const cleaned = basename(name.replace(/\\/g, "/"))
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    .replace(/[\u0000-\u001f\u007f]/g, "_")
    .replace(/^\.+/, "_")
    .trim();
  return cleaned === "" ? fallback : cleaned.slice(0, 255);
}

function expandPath(arg: string): string {
  const unquoted = arg.trim().replace(/^(["'])(.*)\1$/, "$2");
  if (unquoted === "~" || unquoted.startsWith("~/")) return join(homedir(), unquoted.slice(1));
  return resolve(unquoted);
}

export function sharedName(s: SharedFile): string {
  return s.kind === "room" ? s.file.name : s.attachment.name;
}

export function sharedSize(s: SharedFile): number {
  return s.kind === "room" ? s.file.size : s.attachment.size;
}

export function fileCommands(ctx: ChatContext): Record<string, Command> {
  const { note } = ctx;
  const transfer = () => {
    if (!ctx.files) throw new Error("File transfers are not available in this client.");
    return ctx.files;
  };

  return {
    upload: {
      usage: "/upload PATH",
      help: "share a file here (in a DM or a group it is end-to-end encrypted first)",
      online: true,
      async run(arg) {
        if (arg.trim() === "") return note("Usage: /upload PATH", "warn");
        const here = ctx.here();
        if (here.id === undefined) return note("Wait until the room is joined.", "warn");
        const path = expandPath(arg);
        const file = Bun.file(path);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) return note(`No such file: ${path}`, "error");
        const name = safeFileName(basename(path), "file");
        const type = file.type.split(";")[0] || "application/octet-stream";
        note(`Uploading ${name} (${formatBytes(info.size)})…`);
        try {
          if (here.kind === "dm" || here.kind === "group") {
            const sealer = here.kind === "dm" ? ctx.secure : ctx.groups;
            if (!sealer) throw new Error("Encryption is not set up on this device.");
            const shared = await transfer().uploadForDm(here.id, await file.bytes(), {
              name,
              type,
            });
            ctx.shared.set(shared.attachment.id, { kind: "dm", attachment: shared.attachment });
            sealer.send(here.id, shared.text);
          } else {
            // A Blob body streams from disk: the file is never read whole into memory.
            const uploaded = await transfer().upload(here.id, file, { name, type });
            ctx.conn.send(here.id, "", { file: uploaded.id });
          }
        } catch (err) {
          if (err instanceof TransferError) return note(`Upload refused: ${err.message}`, "error");
          throw err;
        }
      },
    },
    download: {
      usage: "/download ID [DEST]",
      help: "save a shared file (to DEST, a file or directory; default: here)",
      online: true,
      async run(arg) {
        const match = /^(\S+)(?:\s+(.+))?$/s.exec(arg.trim());
        if (!match) return note("Usage: /download ID [DEST]", "warn");
        const [, id = "", dest] = match;
        // A file not shown in this session can still be fetched by id from a room (as stored).
        const shared: SharedFile = ctx.shared.get(id) ?? {
          kind: "room",
          file: { id, name: id, size: 0, type: "application/octet-stream" },
        };
        const name = safeFileName(sharedName(shared), id);
        let target = dest === undefined ? resolve(name) : expandPath(dest);
        if ((await stat(target).catch(() => undefined))?.isDirectory()) target = join(target, name);
        let bytes: Uint8Array;
        try {
          bytes = await transfer().fetchShared(shared);
        } catch (err) {
          if (err instanceof TransferError) return note(`Download failed: ${err.message}`, "error");
          throw err;
        }
        try {
          await writeFile(target, bytes, { flag: "wx" });
        } catch (err) {
          if ((err as { code?: string }).code === "EEXIST") {
            return note(`${target} already exists: give another DEST.`, "error");
          }
          throw err;
        }
        const checked = shared.kind === "dm" ? ", decrypted and checked" : "";
        note(`Saved ${name} (${formatBytes(bytes.length)}${checked}) to ${target}.`, "ok");
      },
    },
  };
}
