/**
 * The chat commands about people: private messages, presence, contacts, blocks, the DM policy,
 * and trust in others' encryption keys. Each one is a protocol request and a line of text.
 */

import type { SecureDm } from "../client-core/secure-dm.ts";
import type { ServerFrameOf } from "../protocol/index.ts";
import type { ChatContext, Command } from "./chat-command.ts";

type ContactsReply = ServerFrameOf<"contacts">;

export function socialCommands(ctx: ChatContext): Record<string, Command> {
  const { conn, note } = ctx;

  const needSecure = (): SecureDm => {
    if (!ctx.secure) {
      throw new Error(
        "Private messages need encryption, which could not be set up here (see above).",
      );
    }
    return ctx.secure;
  };

  /** Remembers whom we block, and prints the lists. */
  const showContacts = (reply: ContactsReply, headline?: string) => {
    ctx.blocked.clear();
    for (const b of reply.blocked) ctx.blocked.set(b.id, b.name);
    if (headline) note(headline, "ok");
    const people = reply.contacts.map((c) => `${c.name} (${c.status})`).join(", ") || "none";
    const blocked = reply.blocked.map((b) => b.name).join(", ") || "nobody";
    const policy = reply.dmPolicy === "everyone" ? "everyone" : "your contacts only";
    note(`Contacts: ${people}. Blocked: ${blocked}. Private messages from ${policy}.`);
  };

  const oneUser = (arg: string, usage: string): string => {
    const user = arg.trim();
    if (!user || /\s/.test(user)) throw new Error(`Usage: ${usage}`);
    return user;
  };

  return {
    msg: {
      usage: "/msg USER TEXT",
      help: "send a private, end-to-end encrypted message",
      online: true,
      async run(arg) {
        const match = /^(\S+)\s+(.+)$/s.exec(arg.trim());
        if (!match) return note("Usage: /msg USER TEXT", "warn");
        const [, user = "", text = ""] = match;
        const secure = needSecure();
        const room = await secure.openDm(user, { from: "head" });
        secure.send(room.id, text);
      },
    },
    dm: {
      usage: "/dm USER",
      help: "open the private conversation with USER",
      online: true,
      async run(arg) {
        needSecure();
        await ctx.enter(`@${oneUser(arg, "/dm USER")}`);
      },
    },
    away: {
      usage: "/away",
      help: "show others you are away",
      online: true,
      async run() {
        await ctx.setAway(true);
        note("You are away. /back when you return.");
      },
    },
    back: {
      usage: "/back",
      help: "show others you are back",
      online: true,
      async run() {
        await ctx.setAway(false);
        note("You are back online.");
      },
    },
    contacts: {
      usage: "/contacts",
      help: "your contacts, whom you block, and your DM policy",
      online: true,
      async run() {
        showContacts(await conn.request<"contacts">({ type: "contacts" }));
      },
    },
    contact: {
      usage: "/contact add|remove USER",
      help: "add or remove a contact",
      online: true,
      async run(arg) {
        const match = /^(add|remove)\s+(\S+)$/.exec(arg.trim());
        if (!match) return note("Usage: /contact add USER, or /contact remove USER", "warn");
        const [, action, user = ""] = match;
        const reply = await conn.request<"contacts">(
          action === "add" ? { type: "contact_add", user } : { type: "contact_remove", user },
        );
        showContacts(
          reply,
          action === "add"
            ? `Added ${user} to your contacts.`
            : `Removed ${user} from your contacts.`,
        );
      },
    },
    block: {
      usage: "/block USER",
      help: "hide USER's messages and refuse their DMs",
      online: true,
      async run(arg) {
        const user = oneUser(arg, "/block USER");
        const reply = await conn.request<"contacts">({ type: "block", user });
        showContacts(reply, `You block ${user}: their messages are hidden and their DMs refused.`);
      },
    },
    unblock: {
      usage: "/unblock USER",
      help: "stop blocking USER",
      online: true,
      async run(arg) {
        const user = oneUser(arg, "/unblock USER");
        const reply = await conn.request<"contacts">({ type: "unblock", user });
        showContacts(reply, `You no longer block ${user}.`);
      },
    },
    dmpolicy: {
      usage: "/dmpolicy everyone|contacts",
      help: "who may send you private messages",
      online: true,
      async run(arg) {
        const policy = arg.trim();
        if (policy !== "everyone" && policy !== "contacts") {
          return note("Usage: /dmpolicy everyone, or /dmpolicy contacts", "warn");
        }
        const reply = await conn.request<"contacts">({ type: "dm_policy", policy });
        showContacts(
          reply,
          `Private messages are now accepted from ${policy === "everyone" ? "everyone" : "your contacts only"}.`,
        );
      },
    },
    trust: {
      usage: "/trust USER",
      help: "accept USER's changed keys and send what waited",
      online: true,
      async run(arg) {
        const user = oneUser(arg, "/trust USER");
        const result = await needSecure().trust(user);
        if (result === "updated") {
          note(
            `You accepted ${user}'s current keys (not verified: /verify ${user} to compare). Waiting messages are sent now.`,
            "ok",
          );
        } else if (result === "stale") {
          note(
            `${user}'s keys changed again since they were shown: read the warning above, then /trust ${user} again.`,
            "warn",
          );
        } else {
          note(`No private conversation with ${user} here: open one with /dm ${user}.`, "warn");
        }
      },
    },
    verify: {
      usage: "/verify USER [match]",
      help: "compare safety numbers; add 'match' once they match",
      online: true,
      async run(arg) {
        const match = /^(\S+)(?:\s+(match))?$/.exec(arg.trim());
        if (!match) return note("Usage: /verify USER, then /verify USER match", "warn");
        const [, user = "", confirmed] = match;
        const secure = needSecure();
        if (confirmed) {
          const result = await secure.markVerified(user);
          if (result === "updated") return note(`${user} is verified.`, "ok");
          if (result === "stale") {
            return note(
              `${user}'s keys changed since the number was shown: /verify ${user} again.`,
              "warn",
            );
          }
          return note(
            `No private conversation with ${user} here: open one with /dm ${user}.`,
            "warn",
          );
        }
        const number = await secure.safetyNumberWith(user);
        if (!number)
          return note(
            `No private conversation with ${user} here: open one with /dm ${user}.`,
            "warn",
          );
        const groups = number.split(" ");
        note(`Safety number with ${user}:`);
        note(`  ${groups.slice(0, 6).join(" ")}`);
        note(`  ${groups.slice(6).join(" ")}`);
        note(
          `Compare it with ${user} in person or over a channel you trust. If it is the same, type /verify ${user} match.`,
        );
      },
    },
  };
}
