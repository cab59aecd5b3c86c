/**
 * The clack menus: welcome (log in, register, quit), the account prompts, and the room picker.
 * Each returns a value or "cancel" (Ctrl-C); server refusals are shown and asked again.
 */

import * as p from "@clack/prompts";
import { type Api, failureText, type Issued } from "../client-core/api.ts";
import { safeName } from "../client-core/display-text.ts";
import {
  ERRORS,
  PASSWORD_MAX,
  PASSWORD_MIN,
  ROOM_NAME_PATTERN,
  type RoomSummary,
  USERNAME_PATTERN,
} from "../protocol/index.ts";

export interface MenuIo {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

type Cancel = "cancel";

function answer<T>(value: T): Exclude<T, symbol> | Cancel {
  return p.isCancel(value) ? "cancel" : (value as Exclude<T, symbol>);
}

const checkUsername = (v: string | undefined) =>
  USERNAME_PATTERN.test(v ?? "") ? undefined : ERRORS.INVALID_USERNAME.message;
const checkPassword = (v: string | undefined) =>
  (v ?? "").length >= PASSWORD_MIN && (v ?? "").length <= PASSWORD_MAX
    ? undefined
    : ERRORS.INVALID_PASSWORD.message;
const checkRoomName = (v: string | undefined) =>
  ROOM_NAME_PATTERN.test(v ?? "") ? undefined : ERRORS.INVALID_ROOM_NAME.message;

/** Asks until the server returns a session, or the user quits. */
export async function welcome(api: Api, io: MenuIo): Promise<Issued | Cancel> {
  for (;;) {
    const choice = answer(
      await p.select({
        ...io,
        message: `Welcome to Parley (${api.server})`,
        options: [
          { value: "login", label: "Log in" },
          { value: "register", label: "Register", hint: "create an account" },
          { value: "quit", label: "Quit" },
        ],
      }),
    );
    if (choice === "cancel" || choice === "quit") return "cancel";
    const issued = choice === "login" ? await logIn(api, io) : await register(api, io);
    if (issued !== "back") return issued;
  }
}

async function logIn(api: Api, io: MenuIo): Promise<Issued | Cancel | "back"> {
  const username = answer(await p.text({ ...io, message: "Username", validate: checkUsername }));
  if (username === "cancel") return "cancel";
  const password = answer(await p.password({ ...io, message: "Password" }));
  if (password === "cancel") return "cancel";
  const result = await api.login(username, password);
  if (result.ok) return result.value;
  p.log.error(failureText(result.failure, api.server), io);
  return "back";
}

async function register(api: Api, io: MenuIo): Promise<Issued | Cancel | "back"> {
  let username = answer(
    await p.text({ ...io, message: "Choose a username", validate: checkUsername }),
  );
  if (username === "cancel") return "cancel";
  for (;;) {
    const password = answer(
      await p.password({ ...io, message: "Choose a password", validate: checkPassword }),
    );
    if (password === "cancel") return "cancel";
    const again = answer(
      await p.password({
        ...io,
        message: "Type the password again",
        validate: (v) => (v === password ? undefined : "The passwords do not match."),
      }),
    );
    if (again === "cancel") return "cancel";
    const result = await api.register(username, password);
    if (result.ok) return result.value;
    p.log.error(failureText(result.failure, api.server), io);
    const code = result.failure.kind === "error" ? result.failure.code : "";
    if (code === "INVALID_PASSWORD") continue;
    if (code !== "USERNAME_TAKEN" && code !== "INVALID_USERNAME") return "back";
    const next = answer(
      await p.text({ ...io, message: "Choose another username", validate: checkUsername }),
    );
    if (next === "cancel") return "cancel";
    username = next;
  }
}

export type PickerChoice =
  | { kind: "room"; name: string }
  | { kind: "logout" }
  | { kind: "quit" }
  | { kind: "retry" };

/** Lists the rooms and lets the user pick, create or join one by name. */
export async function pickRoom(api: Api, token: string, io: MenuIo): Promise<PickerChoice> {
  const listed = await api.rooms(token);
  if (!listed.ok) {
    p.log.error(failureText(listed.failure, api.server), io);
    const again = answer(await p.confirm({ ...io, message: "Try again?" }));
    return again === true ? { kind: "retry" } : { kind: "quit" };
  }
  const all: RoomSummary[] = listed.value;
  const rooms = all.filter((r) => r.kind === "room");
  const dms = all.filter((r) => r.kind === "dm");
  type Value =
    | { kind: "room"; name: string }
    | { kind: "create" | "by-name" | "message" | "logout" | "quit" };
  // In the label, not the hint: a hint shows only on the highlighted row.
  const unread = (r: RoomSummary) =>
    r.joined && r.unread > 0 ? ` (${r.unread >= 1000 ? "999+" : r.unread} unread)` : "";
  const choice = answer(
    await p.select<Value>({
      ...io,
      message: rooms.length > 0 ? "Pick a room" : "There are no rooms yet",
      maxItems: Math.max(5, (io.output.rows ?? 24) - 8),
      options: [
        ...rooms.map((r) => ({
          value: { kind: "room" as const, name: r.name },
          label: `#${safeName(r.name)}${unread(r)}`,
          hint: `${r.members} ${r.members === 1 ? "member" : "members"}, ${r.online} online${r.joined ? ", joined" : ""}`,
        })),
        ...dms.map((r) => ({
          value: { kind: "room" as const, name: `@${r.name}` },
          label: `@${safeName(r.name)}${unread(r)}`,
          hint: `private${r.peer ? `, ${r.peer.status}` : ""}`,
        })),
        { value: { kind: "create" }, label: "Create a room" },
        { value: { kind: "by-name" }, label: "Join by name" },
        { value: { kind: "message" }, label: "Message someone", hint: "a private conversation" },
        { value: { kind: "logout" }, label: "Log out" },
        { value: { kind: "quit" }, label: "Quit" },
      ],
    }),
  );
  if (choice === "cancel" || choice.kind === "quit") return { kind: "quit" };
  if (choice.kind === "room") return choice;
  if (choice.kind === "logout") return { kind: "logout" };
  if (choice.kind === "message") {
    const name = answer(await p.text({ ...io, message: "Username", validate: checkUsername }));
    return name === "cancel" ? { kind: "retry" } : { kind: "room", name: `@${name}` };
  }
  if (choice.kind === "by-name") {
    const name = answer(await p.text({ ...io, message: "Room name", validate: checkRoomName }));
    return name === "cancel" ? { kind: "retry" } : { kind: "room", name };
  }
  for (;;) {
    const name = answer(
      await p.text({ ...io, message: "Name of the new room", validate: checkRoomName }),
    );
    if (name === "cancel") return { kind: "retry" };
    const created = await api.createRoom(token, name);
    if (created.ok) return { kind: "room", name: created.value.name };
    p.log.error(failureText(created.failure, api.server), io);
    if (created.failure.kind === "unreachable") return { kind: "retry" };
  }
}

/** The server did not answer: say so plainly and let the user decide. */
export async function askRetry(message: string, io: MenuIo): Promise<boolean> {
  p.log.error(message, io);
  const again = answer(await p.confirm({ ...io, message: "Try again?" }));
  return again === true;
}
