/**
 * The chat commands about this account's devices: which devices its signed list accepts
 * (/devices), linking a new device by comparing its code (/link), removing one, and resetting
 * the account key when no linked device is left. docs/e2ee.md explains the trust they build.
 */

import type { SecureDm } from "../client-core/secure-dm.ts";
import type { ChatContext, Command } from "./chat-command.ts";

export function deviceCommands(ctx: ChatContext): Record<string, Command> {
  const { note } = ctx;

  const needDevices = () => {
    const devices = (ctx.secure as SecureDm | undefined)?.devices;
    if (!devices) throw new Error("Encryption could not be set up here (see above).");
    return devices;
  };

  return {
    devices: {
      usage: "/devices [remove DEVICE | reset]",
      help: "list this account's devices; remove one; or reset the account key",
      online: true,
      async run(arg) {
        const devices = needDevices();
        const [verb, target] = arg.trim().split(/\s+/);
        if (verb === "remove" && target) {
          const result = await devices.remove(target);
          if (result === "removed")
            return note(`Removed ${target}: it reads nothing sent from now on.`, "ok");
          if (result === "no-account-key") {
            return note("Only a device holding the account key can remove devices.", "warn");
          }
          return note(`No other linked device ${target}: see /devices.`, "warn");
        }
        if (verb === "reset") {
          await devices.resetAccount();
          return note(
            "New account key made on this device. Your other devices are no longer linked, and everyone you write to is told your key changed: compare safety numbers with them (/verify).",
            "warn",
          );
        }
        if (verb) return note("Usage: /devices, /devices remove DEVICE, /devices reset", "warn");
        const { me, devices: listed } = await devices.listed();
        const state =
          devices.state === "linked"
            ? devices.holdsAccountKey
              ? "linked, and holds the account key"
              : "linked"
            : "NOT linked: type /link to see its code";
        note(`This device: ${me} (${state}).`);
        note(
          `Devices your account signed: ${listed.map((d) => (d === me ? `${d} (this one)` : d)).join(", ") || "none"}.`,
        );
        const pending = await devices.pending();
        for (const p of pending) {
          note(
            `Waiting to be linked: ${p.device}, code ${p.code}. If it is yours: /link ${p.device} CODE`,
            "warn",
          );
        }
      },
    },
    link: {
      usage: "/link [DEVICE CODE]",
      help: "show this device's link code, or approve a new device whose code you read on it",
      online: true,
      async run(arg) {
        const devices = needDevices();
        const match = /^(\S+)\s+(.+)$/.exec(arg.trim());
        if (!match) {
          if (devices.state === "unlinked") {
            note(`This device's link code: ${await devices.myLinkCode()}`, "ok");
            return note(
              "On a linked device, type /link to see this device listed with its code; if the codes match, approve it there. Or /devices reset if no linked device is left.",
            );
          }
          const pending = await devices.pending();
          if (pending.length === 0) return note("No device is waiting to be linked.");
          for (const p of pending) {
            note(
              `${p.device} shows code ${p.code}. If that is your new device: /link ${p.device} CODE`,
            );
          }
          return;
        }
        const [, device = "", code = ""] = match;
        const result = await devices.approve(device, code);
        if (result === "approved") {
          return note(
            `Linked ${device}: your account signed it, and people you write to seal for it now.`,
            "ok",
          );
        }
        if (result === "code-mismatch") {
          return note(
            `That is not ${device}'s code. Do not approve a device whose code you did not read on it.`,
            "error",
          );
        }
        if (result === "no-account-key") {
          return note("Only a device holding the account key can approve devices.", "warn");
        }
        note(`No device ${device} is waiting to be linked: see /link.`, "warn");
      },
    },
    backup: {
      usage: "/backup [create | restore RECOVERY KEY | passphrase PHRASE | unlock PHRASE]",
      help: "an encrypted backup of your message keys, read back with a recovery key",
      online: true,
      async run(arg) {
        const backup = (ctx.secure as SecureDm | undefined)?.keyBackup;
        if (!backup) throw new Error("Encryption could not be set up here (see above).");
        const [verb = "", ...rest] = arg.trim().split(/\s+/);
        const phrase = arg.trim().slice(verb.length).trim();
        if (verb === "passphrase" && phrase) {
          const made = await backup.create({ passphrase: phrase });
          if (made === "no-account-key") {
            return note("Only a device holding the account key can create the backup.", "warn");
          }
          if (made === "passphrase-refused") {
            return note("A passphrase needs 12 to 1024 characters: take several words.", "warn");
          }
          const earlier = await backUpEarlier(ctx);
          return note(
            `Key backup made from your passphrase (argon2id), with ${earlier} earlier messages. On a new device: /backup unlock PHRASE.`,
            "ok",
          );
        }
        if (verb === "unlock" && phrase) {
          const result = await backup.restore({ passphrase: phrase });
          if (result.ok) {
            const linked = result.linked ? " This device is now linked to your account." : "";
            return note(`Restored ${result.keys} message keys.${linked}`, "ok");
          }
          if (result.reason === "no-backup") return note("Your account has no key backup.", "warn");
          return note("That is not this account's backup passphrase.", "error");
        }
        if (verb === "create") {
          const key = await backup.create();
          if (key === "no-account-key") {
            return note("Only a device holding the account key can create the backup.", "warn");
          }
          note("Your recovery key. Write it down now: it is shown only this once.", "warn");
          note(`  ${key}`, "ok");
          const earlier = await backUpEarlier(ctx);
          note(`Backed up the keys of ${earlier} earlier messages this device can read.`);
          return note(
            "On a new device, /backup restore followed by this key reads your earlier private messages and links the device. Anyone with it can do the same.",
          );
        }
        if (verb === "restore" && rest.length > 0) {
          const result = await backup.restore(rest.join(" "));
          if (result.ok) {
            const linked = result.linked ? " This device is now linked to your account." : "";
            return note(
              `Restored ${result.keys} message keys: /history shows earlier messages.${linked}`,
              "ok",
            );
          }
          if (result.reason === "no-backup") return note("Your account has no key backup.", "warn");
          return note("That is not this account's recovery key.", "error");
        }
        if (verb)
          return note("Usage: /backup, /backup create, /backup restore RECOVERY KEY", "warn");
        note(
          backup.enabled
            ? "Your message keys are backed up, encrypted to your recovery key."
            : "No key backup: /backup create makes one (on a device holding the account key).",
        );
      },
    },
  };
}

/** The keys of the DMs' and groups' earlier messages this device reads, put in a new backup. */
async function backUpEarlier(ctx: ChatContext): Promise<number> {
  const dms = (await ctx.secure?.backUpHistory()) ?? 0;
  return dms + ((await ctx.groups?.backUpHistory()) ?? 0);
}
