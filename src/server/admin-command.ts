/**
 * `parley-server admin …`: server administration on the configured store (the SQLite file of
 * --db, or PostgreSQL from --database-url / DATABASE_URL), with or without a server running.
 * Changes reach a running deployment through the store: a disabled user's session rows are
 * gone, so every node closes their sockets at its next session check (within 5 s).
 * Prints lines and returns the exit code: 0 done, 1 refused or failed, 2 bad usage.
 */
import type { Store } from "../../db/store.ts";
import { ParleyError } from "../protocol/index.ts";
import { Admin, OPERATOR } from "./admin.ts";
import { hashPassword } from "./auth.ts";
import type { Config } from "./config.ts";
import { parseConfig } from "./config-parser.ts";
import type { Output } from "./maintenance.ts";
import { Registration, type RegistrationMode } from "./registration.ts";

export const ADMIN_HELP = [
  "Usage: parley-server admin COMMAND [ARGS] [--db PATH | --database-url URL]",
  "",
  "  list-users                         every account: name, admin, disabled",
  "  create-user NAME --password P      a new account (or PARLEY_ADMIN_PASSWORD)",
  "  reset-password NAME --password P   a new password; the user's sessions end",
  "  promote NAME | demote NAME         make or unmake a server admin",
  "  disable NAME [--reason R]          refuse the account; its sessions end on every node",
  "  enable NAME",
  "  delete-user NAME                   delete the account (its messages stay, as deleted-ID)",
  "  list-rooms                         public rooms",
  "  delete-room ID [--reason R]        delete a room, its messages and members",
  "  registration [open|invite|closed]  show or set who may register",
  "  invite [--uses N] [--seconds S]    a registration invite code (for invite mode)",
  "  audit [--limit N]                  the newest audit log rows, server-wide",
].join("\n");

const VALUE_FLAGS = new Set(["--password", "--reason", "--uses", "--seconds", "--limit"]);

export interface AdminCommandDeps {
  /** Opens the configured store; the command closes it. */
  openStore: (config: Config) => Promise<Store>;
}

/** Undefined when argv is not `admin …`. */
export async function runAdminCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: Output,
  deps: AdminCommandDeps,
): Promise<number | undefined> {
  if (argv[0] !== "admin") return undefined;
  const positional: string[] = [];
  const values = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") {
      io.out(ADMIN_HELP);
      return 0;
    }
    if (VALUE_FLAGS.has(arg)) values.set(arg, argv[++i] ?? "");
    else if (arg.startsWith("--")) {
      rest.push(arg);
      if (!arg.includes("=") && i + 1 < argv.length) rest.push(argv[++i] as string);
    } else positional.push(arg);
  }
  const [command, arg] = positional;
  if (!command) {
    io.err(ADMIN_HELP);
    return 2;
  }
  const parsed = parseConfig(rest, env);
  if (parsed.kind !== "config") {
    io.err(`parley-server admin: ${parsed.kind === "error" ? parsed.message : "bad options"}`);
    return 2;
  }
  const config = parsed.config;
  const store = await deps.openStore(config);
  const now = Date.now;
  const registration = new Registration(store, config.registration as RegistrationMode);
  const admin = new Admin({
    store,
    registration,
    now,
    hashPassword: (p) => hashPassword(p, config.passwordCost),
    deleteRoom: async (actor, room, reason) => {
      const done = await store.moderate({
        room,
        actor,
        act: { action: "delete_room" },
        reason,
        now: now(),
      });
      if (!done) throw new ParleyError("ROOM_NOT_FOUND");
    },
  });
  const need = (what: string | undefined, name: string): string => {
    if (what === undefined || what === "") throw new UsageError(`${command} needs ${name}`);
    return what;
  };
  const number = (flag: string): number | undefined => {
    const raw = values.get(flag);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} takes a whole number`);
    return Number(raw);
  };
  const password = () => need(values.get("--password") ?? env.PARLEY_ADMIN_PASSWORD, "--password");
  const reason = values.get("--reason") ?? "";
  try {
    switch (command) {
      case "list-users":
        for (const u of await admin.listUsers(OPERATOR)) {
          const flags = [u.admin ? "admin" : "", u.disabled ? "disabled" : ""].filter(Boolean);
          io.out(`${u.id}\t${u.name}${flags.length > 0 ? `\t${flags.join(",")}` : ""}`);
        }
        break;
      case "create-user": {
        const user = await admin.createUser(OPERATOR, need(arg, "NAME"), password());
        io.out(`created ${user.name} (id ${user.id})`);
        break;
      }
      case "reset-password":
        await admin.resetPassword(OPERATOR, need(arg, "NAME"), password());
        io.out(`password of ${arg} reset; their sessions ended`);
        break;
      case "promote":
      case "demote": {
        const changed = await admin.setAdmin(OPERATOR, need(arg, "NAME"), command === "promote");
        io.out(
          `${arg} ${changed ? "is" : "was already"} ${command === "promote" ? "an admin" : "not an admin"}`,
        );
        break;
      }
      case "disable":
      case "enable": {
        const changed = await admin.setDisabled(
          OPERATOR,
          need(arg, "NAME"),
          command === "disable",
          reason,
        );
        io.out(`${arg} ${changed ? "is now" : "was already"} ${command}d`);
        break;
      }
      case "delete-user":
        await admin.deleteAccount(OPERATOR, need(arg, "NAME"), reason);
        io.out(`deleted ${arg}`);
        break;
      case "list-rooms":
        for (const r of await admin.listRooms(OPERATOR))
          io.out(`${r.id}\t${r.name}\t${r.members} members`);
        break;
      case "delete-room": {
        const id = Number(need(arg, "ID"));
        if (!Number.isSafeInteger(id) || id < 1)
          throw new UsageError("delete-room takes a room id");
        await admin.deleteRoom(OPERATOR, id, reason);
        io.out(`deleted room ${id}`);
        break;
      }
      case "registration":
        if (arg !== undefined) await admin.setRegistration(OPERATOR, arg);
        io.out(`registration: ${await admin.registration(OPERATOR)}`);
        break;
      case "invite": {
        const invite = await admin.createInvite(OPERATOR, number("--seconds"), number("--uses"));
        io.out(invite.code);
        break;
      }
      case "audit":
        for (const e of await admin.auditLog(OPERATOR, number("--limit") ?? 50)) {
          const at = new Date(e.at).toISOString();
          const where = e.room === undefined ? "server" : `room ${e.room}`;
          const target = e.target ? ` ${e.target.name}` : "";
          io.out(
            `${at}\t${where}\t${e.actor.name}\t${e.action}${target}\t${e.reason}\t${e.detail}`,
          );
        }
        break;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`parley-server admin: ${err.message} (see admin --help)`);
      return 2;
    }
    if (err instanceof ParleyError) {
      io.err(`parley-server admin: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}

class UsageError extends Error {}
